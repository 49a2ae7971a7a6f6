/*
 * infrabase connection guard for SQLite (loaded per connection by engine/native/guard.ts).
 *
 * User SQL runs on pooled connections, so a statement must not leave anything behind for the next request.
 * This extension installs an authorizer (sqlite3_set_authorizer) whose verdicts come from what SQLite's
 * parser reports for each statement it compiles, not from the SQL text, and sets SQLITE_LIMIT_ATTACHED to 0.
 * The authorizer judges by the guard's mode:
 *
 *   off    everything is allowed (the process's own statements: model sync, the state checks, PREDICT).
 *   admin  everything except what changes the connection: transaction control (BEGIN, COMMIT, ROLLBACK, END),
 *          SAVEPOINT / RELEASE / ROLLBACK TO, ATTACH / DETACH, TEMP tables, views, triggers and indexes, and
 *          PRAGMAs that set a value or act (see pragma_refusal).
 *   read   the admin rules, and only reads: SELECT, table reads, function calls, recursive CTEs and the
 *          reading PRAGMAs.
 *   run    while a user statement runs: what it compiles on the way (a pragma table-valued function such as
 *          pragma_optimize prepares its PRAGMA then) may not attach, create TEMP objects or run a PRAGMA
 *          that sets or acts; the process's own statements in between (a PREDICT batch's transaction) may.
 *
 * Control functions (SQLITE_DIRECTONLY: never callable from a trigger or a view):
 *
 *   ib_guard_key()         the connection's random 128-bit key as 32 hex digits, the first time it is called;
 *                          NULL afterwards. The loader takes it at once, so user SQL can never learn it.
 *   ib_guard(key, mode)    sets the mode ('off', 'admin', 'read' or 'run') and returns the first refusal since the
 *                          previous call as '<class>|<what>' (class W: a write, refused to the read role; S: it
 *                          changes the connection, refused to both), or NULL; then forgets it. A wrong key is
 *                          an error.
 *   ib_guard(key, 'touched')  1 if a statement judged since the last such call reached a connection-level
 *                          action (any PRAGMA, transaction control, savepoint, ATTACH/DETACH, TEMP object),
 *                          allowed or refused, else 0; then forgets it. The loader then checks every setting
 *                          of the connection, else only the ones it configured.
 *
 * Authorization happens when a statement is compiled (and recompiled after a schema change): the loader
 * prepares a user statement in the user's mode, runs it in run mode, and switches back to off for its own
 * statements.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <stdio.h>
#include <string.h>

#define MODE_OFF 0
#define MODE_ADMIN 1
#define MODE_READ 2
#define MODE_RUN 3
#define KEY_BYTES 16

typedef struct {
  int mode;
  int key_taken;
  unsigned char key[KEY_BYTES];
  char refusal[256]; /* first refusal since the last ib_guard call, "" if none */
  int weak;          /* the refusal is a schema-table write, replaced by the statement's own refusal */
  int touched;       /* a guarded statement reached a connection-level action (see authorize), until taken */
} Guard;

/* PRAGMAs whose argument names what to read (a table, an index, a row limit), not a new setting. */
static const char *const READ_ARGUMENT_PRAGMAS[] = {
    "table_info", "table_xinfo", "index_info", "index_xinfo", "index_list", "foreign_key_list",
    "foreign_key_check", "integrity_check", "quick_check", "table_list", NULL,
};

/* PRAGMAs that act when read without an argument (they write the database or release its memory). */
static const char *const ACTING_PRAGMAS[] = {
    "optimize", "incremental_vacuum", "shrink_memory", "wal_checkpoint", NULL,
};

/* The statement a write action comes from, for the refusal message. */
static const char *action_name(int action) {
  switch (action) {
    case SQLITE_CREATE_INDEX: return "CREATE INDEX";
    case SQLITE_CREATE_TABLE: return "CREATE TABLE";
    case SQLITE_CREATE_TRIGGER: return "CREATE TRIGGER";
    case SQLITE_CREATE_VIEW: return "CREATE VIEW";
    case SQLITE_DROP_INDEX: return "DROP INDEX";
    case SQLITE_DROP_TABLE: return "DROP TABLE";
    case SQLITE_DROP_TRIGGER: return "DROP TRIGGER";
    case SQLITE_DROP_VIEW: return "DROP VIEW";
    case SQLITE_ALTER_TABLE: return "ALTER TABLE";
    case SQLITE_REINDEX: return "REINDEX";
    case SQLITE_ANALYZE: return "ANALYZE";
    case SQLITE_CREATE_VTABLE: return "CREATE VIRTUAL TABLE";
    case SQLITE_DROP_VTABLE: return "DROP VIRTUAL TABLE";
    default: return "a statement that writes";
  }
}

static int in_list(const char *name, const char *const *list) {
  for (int i = 0; list[i]; i++) {
    if (sqlite3_stricmp(name, list[i]) == 0) return 1;
  }
  return 0;
}

/*
 * Records the first refusal of a statement as "<class>|<what>" (class 'W': a write, refused to the read role;
 * 'S': changes the connection, refused to both) and denies it.
 */
static int refuse(Guard *g, char cls, const char *fmt, const char *a, const char *b) {
  if (g->refusal[0] == 0 || g->weak) {
    g->refusal[0] = cls;
    g->refusal[1] = '|';
    snprintf(g->refusal + 2, sizeof g->refusal - 2, fmt, a ? a : "", b ? b : "");
    g->weak = 0;
  }
  return SQLITE_DENY;
}

/* A write to the schema table, which SQLite reports before the CREATE / DROP that causes it. */
static int refuse_schema_write(Guard *g, const char *table) {
  int first = g->refusal[0] == 0;
  if (sqlite3_strnicmp(table, "sqlite_temp_", 12) == 0) refuse(g, 'S', "a TEMP object (a write to %s)%s", table, "");
  else refuse(g, 'W', "a write to %s%s (a schema change: CREATE, DROP or ALTER)", table, "");
  if (first) g->weak = 1;
  return SQLITE_DENY;
}

static int is_schema_table(const char *t) {
  return t && (sqlite3_stricmp(t, "sqlite_master") == 0 || sqlite3_stricmp(t, "sqlite_temp_master") == 0 ||
               sqlite3_stricmp(t, "sqlite_schema") == 0 || sqlite3_stricmp(t, "sqlite_temp_schema") == 0);
}

/* Refusal of a PRAGMA, or SQLITE_OK: a value argument is a write unless the pragma reads with it. */
static int pragma_verdict(Guard *g, const char *name, const char *arg) {
  if (!name) return SQLITE_OK;
  if (arg) {
    if (in_list(name, READ_ARGUMENT_PRAGMAS)) return SQLITE_OK;
    return refuse(g, 'S', "PRAGMA %s = %s (sets connection or database state)", name, arg);
  }
  if (in_list(name, ACTING_PRAGMAS)) return refuse(g, 'S', "PRAGMA %s%s (acts on the database)", name, "");
  return SQLITE_OK;
}

static int authorize(void *ctx, int action, const char *a1, const char *a2, const char *a3, const char *a4) {
  Guard *g = (Guard *)ctx;
  (void)a3;
  (void)a4;
  if (g->mode == MODE_OFF) return SQLITE_OK;
  switch (action) {
    case SQLITE_PRAGMA:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
      g->touched = 1;
      break;
    default:
      break;
  }
  switch (action) {
    /* Refused to both roles: they change the connection itself. */
    case SQLITE_TRANSACTION:
      if (g->mode == MODE_RUN) return SQLITE_OK;
      return refuse(g, 'S', "%s (transaction control)%s", a1, "");
    case SQLITE_SAVEPOINT:
      if (g->mode == MODE_RUN) return SQLITE_OK;
      return refuse(g, 'S', "SAVEPOINT %s (%s; transaction control)", a2, a1);
    case SQLITE_ATTACH:
      if (!a1 || !a1[0]) return refuse(g, 'S', "VACUUM (it attaches a temporary database)%s%s", "", "");
      return refuse(g, 'S', "ATTACH %s%s", a1, "");
    case SQLITE_DETACH:
      return refuse(g, 'S', "DETACH %s%s", a1, "");
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
      return refuse(g, 'S', "a TEMP object (%s%s)", a1, "");
    case SQLITE_PRAGMA:
      return pragma_verdict(g, a1, a2);
    case SQLITE_FUNCTION:
      if (a2 && (sqlite3_stricmp(a2, "load_extension") == 0 || sqlite3_stricmp(a2, "ib_guard_key") == 0)) {
        return refuse(g, 'S', "the function %s()%s", a2, "");
      }
      return SQLITE_OK;
    /* Reads: allowed to both roles. */
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    default:
      break;
  }
  if (g->mode != MODE_READ) return SQLITE_OK;
  if ((action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE) && is_schema_table(a1)) {
    return refuse_schema_write(g, a1);
  }
  switch (action) {
    case SQLITE_INSERT:
      return refuse(g, 'W', "INSERT into %s%s (a write)", a1, "");
    case SQLITE_UPDATE:
      return refuse(g, 'W', "UPDATE of %s.%s (a write)", a1, a2);
    case SQLITE_DELETE:
      return refuse(g, 'W', "DELETE from %s%s (a write)", a1, "");
    default:
      return refuse(g, 'W', "%s %s (a write)", action_name(action), action == SQLITE_ALTER_TABLE ? a2 : a1);
  }
}

static void guard_key(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Guard *g = (Guard *)sqlite3_user_data(ctx);
  (void)argc;
  (void)argv;
  if (g->key_taken) {
    sqlite3_result_null(ctx);
    return;
  }
  char hex[KEY_BYTES * 2 + 1];
  for (int i = 0; i < KEY_BYTES; i++) snprintf(hex + 2 * i, 3, "%02x", g->key[i]);
  g->key_taken = 1;
  sqlite3_result_text(ctx, hex, KEY_BYTES * 2, SQLITE_TRANSIENT);
}

static int hex_digit(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Whether v is the key as ib_guard_key wrote it (lower-case hex), compared without an early exit. */
static int key_matches(Guard *g, sqlite3_value *v) {
  const unsigned char *text = sqlite3_value_text(v);
  if (!text || sqlite3_value_bytes(v) != KEY_BYTES * 2) return 0;
  unsigned diff = 0;
  for (int i = 0; i < KEY_BYTES; i++) {
    int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return 0;
    diff |= (unsigned)((hi << 4) | lo) ^ g->key[i];
  }
  return diff == 0;
}

static void guard_set(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Guard *g = (Guard *)sqlite3_user_data(ctx);
  (void)argc;
  if (!key_matches(g, argv[0])) {
    sqlite3_result_error(ctx, "ib_guard: wrong key", -1);
    return;
  }
  const char *mode = (const char *)sqlite3_value_text(argv[1]);
  int next;
  if (mode && strcmp(mode, "off") == 0) next = MODE_OFF;
  else if (mode && strcmp(mode, "admin") == 0) next = MODE_ADMIN;
  else if (mode && strcmp(mode, "read") == 0) next = MODE_READ;
  else if (mode && strcmp(mode, "run") == 0) next = MODE_RUN;
  else if (mode && strcmp(mode, "touched") == 0) {
    sqlite3_result_int(ctx, g->touched);
    g->touched = 0;
    return;
  } else {
    sqlite3_result_error(ctx, "ib_guard: mode must be 'off', 'admin', 'read', 'run' or 'touched'", -1);
    return;
  }
  g->mode = next;
  if (g->refusal[0]) sqlite3_result_text(ctx, g->refusal, -1, SQLITE_TRANSIENT);
  else sqlite3_result_null(ctx);
  g->refusal[0] = 0;
  g->weak = 0;
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_guard_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  SQLITE_EXTENSION_INIT2(api);
  (void)err;
  Guard *g = sqlite3_malloc(sizeof(Guard));
  if (!g) return SQLITE_NOMEM;
  memset(g, 0, sizeof *g);
  sqlite3_randomness(KEY_BYTES, g->key);
  int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
  int rc = sqlite3_create_function_v2(db, "ib_guard_key", 0, flags, g, guard_key, 0, 0, 0);
  if (rc == SQLITE_OK) rc = sqlite3_create_function_v2(db, "ib_guard", 2, flags, g, guard_set, 0, 0, sqlite3_free);
  if (rc != SQLITE_OK) return rc; /* the guard is then never freed: a few bytes, on a failed load */
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  return sqlite3_set_authorizer(db, authorize, g);
}
