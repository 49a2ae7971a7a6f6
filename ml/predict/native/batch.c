/*
 * infrabase batch-PREDICT extension for SQLite (loaded per connection by ml/predict/native/library.ts).
 *
 * SQLite calls a JavaScript function through V8 for every row, converting each argument to a JS value; for a
 * PREDICT call with a model name and 8 features that conversion costs more than scoring the row in a batch.
 * This extension keeps the per-row part of batched PREDICT in C. The statement's PREDICT / PREDICT_PROBA calls
 * are rewritten (ml/predict/native/rewrite.ts) to one of these functions, whose first argument is the kind
 * (0 = PREDICT, 1 = PREDICT_PROBA), the second the model reference and the rest the features:
 *
 *   ib_batch_defer(kind, model, f1, ..., fn)  appends the features to the stream of (kind, model) and returns
 *                                             a placeholder: the call's sequence number (0, 1, ...).
 *   ib_batch_call(kind, model, f1, ..., fn)   the result loaded for a scored call of its stream with identical
 *                                             features: the next ones (a few ahead) or the previous one, else
 *                                             any, found through a hash of the features. The model is
 *                                             deterministic, so equal inputs have equal results. Without one,
 *                                             the features are appended to the stream (to be scored before
 *                                             the next pass), the pass is marked `missed` and NULL returned.
 *
 * A statement runs in passes until one has no miss: the first only collects, the next are answered from
 * the results loaded between passes; calls that only run once earlier calls have values (a WHERE on PREDICT
 * before the select list's PREDICT, CASE, nesting) are collected by the pass that first reaches them. Only
 * a pass in which every call got the model's result for its exact inputs is kept.
 *
 * A NULL model or feature gives NULL and records nothing. A call the extension cannot take (a TEXT or BLOB
 * feature, a non-text model, a stream whose arity changes, more than 255 streams, out of memory) sets the
 * `failed` flag: the caller then evaluates the statement on its JavaScript path, which handles every case.
 *
 *   ib_batch(op, ...)  control from JavaScript: 'reset'; 'pass' (start a pass: cursors and flags cleared);
 *                      'status' (failed | missed << 1); 'answered' (calls answered in this pass); 'streams'
 *                      (count); 'kind'|'model'|'arity'|'rows', i; 'features', i, first_row, rows (BLOB of
 *                      float64, row-major [rows, arity]); 'load', i, first_row, blob (float64 results for
 *                      rows first_row.., 8 bytes a row, first_row = rows scored so far); 'sequence' (BLOB:
 *                      stream index of each placeholder, one byte each).
 *
 * All functions are SQLITE_DIRECTONLY (never from triggers or views) and not deterministic, so SQLite
 * evaluates every call where it stands, in the same order in both passes of a statement.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STREAMS 255
/* How far past the cursor a call may match before it counts as a miss (calls skipped by control flow). */
#define LOOKAHEAD 2
/* The most arguments a call may have (SQLite allows at most 127 by default, 1000 when raised). */
#define MAX_ARGS 1000

typedef struct {
  int kind;
  char *model;
  int model_bytes;
  int arity;
  sqlite3_int64 rows, capacity; /* rows recorded, rows allocated */
  double *features;             /* [rows, arity] */
  double *results;              /* [scored] */
  sqlite3_int64 scored;         /* rows with a loaded result (the first `scored` rows) */
  sqlite3_int64 cursor, last;   /* answer pass: next expected row, last matched row */
  sqlite3_int64 *table;         /* open-addressing hash of the scored rows' features: row + 1, or 0 */
  sqlite3_uint64 table_mask;    /* table size - 1 (a power of two at least twice the scored rows) */
} Stream;

typedef struct {
  Stream streams[MAX_STREAMS];
  int count;
  int recent; /* index of the stream used by the previous call */
  int failed, missed;
  sqlite3_int64 answered;
  unsigned char *sequence; /* defer: the stream of each placeholder */
  sqlite3_int64 placeholders, sequence_capacity;
} Batch;

static void batch_reset(Batch *b) {
  for (int i = 0; i < b->count; i++) {
    sqlite3_free(b->streams[i].model);
    sqlite3_free(b->streams[i].features);
    sqlite3_free(b->streams[i].results);
    sqlite3_free(b->streams[i].table);
  }
  sqlite3_free(b->sequence);
  memset(b, 0, sizeof(*b));
}

static void batch_destroy(void *p) {
  batch_reset((Batch *)p);
  sqlite3_free(p);
}

/* The stream of (kind, model), created when `create`; NULL when absent or when it cannot be created. */
static Stream *find_stream(Batch *b, int kind, const char *model, int bytes, int arity, int create) {
  if (b->recent < b->count) {
    Stream *s = &b->streams[b->recent];
    if (s->kind == kind && s->model_bytes == bytes && memcmp(s->model, model, bytes) == 0) return s;
  }
  for (int i = 0; i < b->count; i++) {
    Stream *s = &b->streams[i];
    if (s->kind == kind && s->model_bytes == bytes && memcmp(s->model, model, bytes) == 0) {
      b->recent = i;
      return s;
    }
  }
  if (!create || b->count == MAX_STREAMS) return NULL;
  Stream *s = &b->streams[b->count];
  memset(s, 0, sizeof(*s));
  s->model = sqlite3_malloc(bytes + 1);
  if (!s->model) return NULL;
  memcpy(s->model, model, bytes);
  s->model[bytes] = 0;
  s->model_bytes = bytes;
  s->kind = kind;
  s->arity = arity;
  s->last = -1;
  b->recent = b->count++;
  return s;
}

enum { CALL_OK, CALL_NULL, CALL_UNSUPPORTED };

/* Reads the call's features into `out` (arity doubles); CALL_NULL when the model or a feature is NULL. */
static int read_call(int argc, sqlite3_value **argv, double *out) {
  int t = sqlite3_value_type(argv[1]);
  if (t == SQLITE_NULL) return CALL_NULL;
  if (t != SQLITE_TEXT || argc < 3) return CALL_UNSUPPORTED;
  int null = 0;
  for (int i = 2; i < argc; i++) {
    switch (sqlite3_value_type(argv[i])) {
      case SQLITE_INTEGER:
      case SQLITE_FLOAT:
        out[i - 2] = sqlite3_value_double(argv[i]);
        break;
      case SQLITE_NULL:
        null = 1;
        break;
      default:
        return CALL_UNSUPPORTED;
    }
  }
  return null ? CALL_NULL : CALL_OK;
}

/* Appends a row of features to the stream; 0 when out of memory. */
static int append(Stream *s, const double *features) {
  if (s->rows == s->capacity) {
    sqlite3_int64 capacity = s->capacity ? s->capacity * 2 : 8192;
    double *grown = sqlite3_realloc64(s->features, (sqlite3_uint64)capacity * s->arity * sizeof(double));
    if (!grown) return 0;
    s->features = grown;
    s->capacity = capacity;
  }
  memcpy(s->features + s->rows * s->arity, features, s->arity * sizeof(double));
  s->rows++;
  return 1;
}

/* Appends a call to its stream; returns the stream index, -1 for NULL in, -2 when it could not be taken. */
static int record(Batch *b, int argc, sqlite3_value **argv) {
  double features[MAX_ARGS];
  if (b->failed || argc > MAX_ARGS) return -2;
  int r = read_call(argc, argv, features);
  if (r == CALL_NULL) return -1;
  if (r != CALL_OK) return -2;
  int arity = argc - 2;
  const char *model = (const char *)sqlite3_value_text(argv[1]);
  int bytes = sqlite3_value_bytes(argv[1]);
  Stream *s = find_stream(b, sqlite3_value_int(argv[0]), model, bytes, arity, 1);
  if (!s || s->arity != arity || !append(s, features)) return -2;
  return (int)(s - b->streams);
}

static void defer_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Batch *b = sqlite3_user_data(ctx);
  int stream = record(b, argc, argv);
  if (stream == -2) b->failed = 1;
  if (stream < 0) {
    sqlite3_result_null(ctx);
    return;
  }
  if (b->placeholders == b->sequence_capacity) {
    sqlite3_int64 capacity = b->sequence_capacity ? b->sequence_capacity * 2 : 8192;
    unsigned char *grown = sqlite3_realloc64(b->sequence, (sqlite3_uint64)capacity);
    if (!grown) {
      b->failed = 1;
      sqlite3_result_null(ctx);
      return;
    }
    b->sequence = grown;
    b->sequence_capacity = capacity;
  }
  b->sequence[b->placeholders] = (unsigned char)stream;
  sqlite3_result_int64(ctx, b->placeholders++);
}

static int same_row(const Stream *s, sqlite3_int64 row, const double *features) {
  return memcmp(s->features + row * s->arity, features, s->arity * sizeof(double)) == 0;
}

/* FNV-1a over the features' bytes, finished with a 64-bit mix (SplitMix64's finalizer). */
static sqlite3_uint64 hash_row(const double *features, int arity) {
  const unsigned char *bytes = (const unsigned char *)features;
  sqlite3_uint64 h = 14695981039346656037ULL;
  for (size_t i = 0; i < arity * sizeof(double); i++) h = (h ^ bytes[i]) * 1099511628211ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

/* Builds the stream's hash table (first row of each distinct feature vector); 0 when out of memory. */
static int build_table(Stream *s) {
  sqlite3_uint64 size = 16;
  while (size < (sqlite3_uint64)s->scored * 2) size <<= 1;
  s->table = sqlite3_malloc64(size * sizeof(sqlite3_int64));
  if (!s->table) return 0;
  memset(s->table, 0, size * sizeof(sqlite3_int64));
  s->table_mask = size - 1;
  for (sqlite3_int64 row = 0; row < s->scored; row++) {
    const double *features = s->features + row * s->arity;
    sqlite3_uint64 slot = hash_row(features, s->arity) & s->table_mask;
    while (s->table[slot] && !same_row(s, s->table[slot] - 1, features)) slot = (slot + 1) & s->table_mask;
    if (!s->table[slot]) s->table[slot] = row + 1;
  }
  return 1;
}

/* The scored row with these features: near the cursor, the previous match, else from the hash table; -1 if
 * none (or out of memory for the table). */
static sqlite3_int64 find_row(Stream *s, const double *features) {
  if (s->scored == 0) return -1;
  sqlite3_int64 end = s->cursor + LOOKAHEAD + 1;
  if (end > s->scored) end = s->scored;
  for (sqlite3_int64 j = s->cursor; j < end; j++)
    if (same_row(s, j, features)) return j;
  if (s->last >= 0 && same_row(s, s->last, features)) return s->last;
  if (!s->table && !build_table(s)) return -1;
  sqlite3_uint64 slot = hash_row(features, s->arity) & s->table_mask;
  while (s->table[slot]) {
    if (same_row(s, s->table[slot] - 1, features)) return s->table[slot] - 1;
    slot = (slot + 1) & s->table_mask;
  }
  return -1;
}

static void call_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Batch *b = sqlite3_user_data(ctx);
  double features[MAX_ARGS];
  sqlite3_result_null(ctx);
  if (b->failed) return;
  if (argc > MAX_ARGS) {
    b->failed = 1;
    return;
  }
  int r = read_call(argc, argv, features);
  if (r == CALL_NULL) return;
  Stream *s = r == CALL_OK ? find_stream(b, sqlite3_value_int(argv[0]), (const char *)sqlite3_value_text(argv[1]),
                                         sqlite3_value_bytes(argv[1]), argc - 2, 1)
                           : NULL;
  if (!s || s->arity != argc - 2) {
    b->failed = 1;
    return;
  }
  sqlite3_int64 row = find_row(s, features);
  if (row >= 0) {
    s->cursor = row + 1;
    s->last = row;
    b->answered++;
    sqlite3_result_double(ctx, s->results[row]);
    return;
  }
  if (!append(s, features)) b->failed = 1;
  b->missed = 1;
}

/* The stream named by argument `i`, or NULL (with an error result) when out of range. */
static Stream *stream_arg(sqlite3_context *ctx, Batch *b, int argc, sqlite3_value **argv) {
  if (argc < 2 || sqlite3_value_numeric_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_error(ctx, "ib_batch: expected a stream index", -1);
    return NULL;
  }
  sqlite3_int64 i = sqlite3_value_int64(argv[1]);
  if (i < 0 || i >= b->count) {
    sqlite3_result_error(ctx, "ib_batch: stream index out of range", -1);
    return NULL;
  }
  return &b->streams[i];
}

/* Checks that rows [first, first + n) lie within `s`; 0 (with an error result) when they do not. */
static int in_range(sqlite3_context *ctx, const Stream *s, sqlite3_int64 first, sqlite3_int64 n) {
  if (first < 0 || n < 0 || first + n > s->rows) {
    sqlite3_result_error(ctx, "ib_batch: row range out of bounds", -1);
    return 0;
  }
  return 1;
}

static void control_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Batch *b = sqlite3_user_data(ctx);
  const char *op = argc > 0 ? (const char *)sqlite3_value_text(argv[0]) : NULL;
  if (!op) {
    sqlite3_result_error(ctx, "ib_batch: expected an operation", -1);
  } else if (strcmp(op, "reset") == 0) {
    batch_reset(b);
    sqlite3_result_null(ctx);
  } else if (strcmp(op, "pass") == 0) {
    for (int i = 0; i < b->count; i++) {
      b->streams[i].cursor = 0;
      b->streams[i].last = -1;
    }
    b->missed = 0;
    b->answered = 0;
    sqlite3_result_null(ctx);
  } else if (strcmp(op, "status") == 0) {
    sqlite3_result_int(ctx, b->failed | (b->missed << 1));
  } else if (strcmp(op, "streams") == 0) {
    sqlite3_result_int(ctx, b->count);
  } else if (strcmp(op, "answered") == 0) {
    sqlite3_result_int64(ctx, b->answered);
  } else if (strcmp(op, "sequence") == 0) {
    sqlite3_result_blob64(ctx, b->sequence ? (const void *)b->sequence : "", (sqlite3_uint64)b->placeholders,
                          SQLITE_TRANSIENT);
  } else {
    Stream *s = stream_arg(ctx, b, argc, argv);
    if (!s) return;
    sqlite3_int64 first = argc > 2 ? sqlite3_value_int64(argv[2]) : 0, n;
    if (strcmp(op, "kind") == 0) {
      sqlite3_result_int(ctx, s->kind);
    } else if (strcmp(op, "model") == 0) {
      sqlite3_result_text(ctx, s->model, s->model_bytes, SQLITE_TRANSIENT);
    } else if (strcmp(op, "arity") == 0) {
      sqlite3_result_int(ctx, s->arity);
    } else if (strcmp(op, "rows") == 0) {
      sqlite3_result_int64(ctx, s->rows);
    } else if (strcmp(op, "features") == 0 && argc == 4) {
      n = sqlite3_value_int64(argv[3]);
      if (!in_range(ctx, s, first, n)) return;
      sqlite3_result_blob64(ctx, n ? (const void *)(s->features + first * s->arity) : "",
                            (sqlite3_uint64)n * s->arity * sizeof(double), SQLITE_TRANSIENT);
    } else if (strcmp(op, "load") == 0 && argc == 4) {
      int bytes = sqlite3_value_bytes(argv[3]);
      n = bytes / (int)sizeof(double);
      if (sqlite3_value_type(argv[3]) != SQLITE_BLOB || bytes % (int)sizeof(double) != 0) {
        sqlite3_result_error(ctx, "ib_batch: load expects a BLOB of float64 results", -1);
        return;
      }
      if (first != s->scored) {
        sqlite3_result_error(ctx, "ib_batch: load must start at the first unscored row", -1);
        return;
      }
      if (!in_range(ctx, s, first, n)) return;
      double *grown = sqlite3_realloc64(s->results, (sqlite3_uint64)(first + n + 1) * sizeof(double));
      if (!grown) {
        sqlite3_result_error_nomem(ctx);
        return;
      }
      s->results = grown;
      if (n) memcpy(s->results + first, sqlite3_value_blob(argv[3]), n * sizeof(double));
      s->scored = first + n;
      sqlite3_free(s->table); /* rebuilt over the scored rows when next needed */
      s->table = NULL;
      sqlite3_result_null(ctx);
    } else {
      sqlite3_result_error(ctx, "ib_batch: unknown operation or wrong argument count", -1);
    }
  }
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_extension_init(sqlite3 *db, char **error, const sqlite3_api_routines *api) {
  SQLITE_EXTENSION_INIT2(api);
  (void)error;
  Batch *b = sqlite3_malloc(sizeof(Batch));
  if (!b) return SQLITE_NOMEM;
  memset(b, 0, sizeof(*b));
  const int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
  int rc = sqlite3_create_function_v2(db, "ib_batch", -1, flags, b, control_fn, NULL, NULL, batch_destroy);
  if (rc != SQLITE_OK) {
    batch_destroy(b);
    return rc;
  }
  if ((rc = sqlite3_create_function_v2(db, "ib_batch_defer", -1, flags, b, defer_fn, NULL, NULL, NULL)) ||
      (rc = sqlite3_create_function_v2(db, "ib_batch_call", -1, flags, b, call_fn, NULL, NULL, NULL)))
    return rc;
  return SQLITE_OK;
}
