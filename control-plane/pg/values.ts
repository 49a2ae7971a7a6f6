/**
 * Between SQLite values and Postgres wire values: the type OID of a result column (derived from its values and
 * its declared type), the text and binary encodings of a value, and the decoding of Bind parameters.
 * Type OIDs and encodings are Postgres' (`pg_type.dat`, `src/backend/utils/adt/*.c`).
 */
import { InfrabaseError } from '../../engine/index.js';
import type { FieldDescription } from './wire.js';

/** The Postgres types infrabase answers with, by OID. */
export const PG_TYPE = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  float4: 700,
  float8: 701,
  varchar: 1043,
  numeric: 1700,
} as const;

const TYPE_SIZE: Readonly<Record<number, number>> = { 16: 1, 17: -1, 20: 8, 25: -1, 701: 8 };

/** A SQLite value as better-sqlite3 returns it. */
type SqliteValue = null | number | bigint | string | Uint8Array;

/**
 * The type OID of a result column: `bool` when declared BOOL/BOOLEAN and every value is 0 or 1; otherwise from
 * the values: all integers → `int8`, numbers with a fraction (or a REAL declaration) → `float8`, BLOBs →
 * `bytea`, anything else or a mix → `text`. A column with no non-NULL value takes its declared type's.
 */
export function columnTypeOid(values: Iterable<unknown>, declared: string | null | undefined): number {
  const decl = (declared ?? '').toUpperCase();
  const declaredBool = decl === 'BOOL' || decl === 'BOOLEAN';
  const declaredReal = /REAL|FLOA|DOUB/.test(decl);
  let kind: 'none' | 'int' | 'float' | 'blob' | 'text' = 'none';
  let allBits = true;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const k =
      typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))
        ? 'int'
        : typeof v === 'number'
          ? 'float'
          : v instanceof Uint8Array
            ? 'blob'
            : 'text';
    if (k === 'int' && !(v === 0 || v === 1 || v === 0n || v === 1n)) allBits = false;
    if (kind === 'none') kind = k;
    else if (kind !== k)
      kind = (kind === 'int' && k === 'float') || (kind === 'float' && k === 'int') ? 'float' : 'text';
  }
  if (kind === 'none') return sqliteTypeOid(decl);
  if (kind === 'int')
    return declaredBool && allBits ? PG_TYPE.bool : declaredReal ? PG_TYPE.float8 : PG_TYPE.int8;
  if (kind === 'float') return PG_TYPE.float8;
  if (kind === 'blob') return PG_TYPE.bytea;
  return PG_TYPE.text;
}

/**
 * The type OID of a declared SQLite column type, by SQLite's affinity rules (https://sqlite.org/datatype3.html
 * §3.1), BOOL/BOOLEAN as `bool`; an empty declaration is `text`.
 */
export function sqliteTypeOid(declared: string): number {
  const decl = declared.toUpperCase();
  if (decl === 'BOOL' || decl === 'BOOLEAN') return PG_TYPE.bool;
  if (decl.includes('INT')) return PG_TYPE.int8;
  if (/CHAR|CLOB|TEXT/.test(decl)) return PG_TYPE.text;
  if (decl.includes('BLOB')) return PG_TYPE.bytea;
  if (/REAL|FLOA|DOUB/.test(decl)) return PG_TYPE.float8;
  return PG_TYPE.text;
}

/** RowDescription fields for a result: names, derived OIDs, and the client's result formats. */
export function describeFields(
  columns: readonly string[],
  typeOids: readonly number[],
  resultFormats: readonly number[],
): FieldDescription[] {
  return columns.map((name, i) => ({
    name,
    typeOid: typeOids[i],
    typeSize: TYPE_SIZE[typeOids[i]] ?? -1,
    format: resultFormats.length === 1 ? resultFormats[0] : (resultFormats[i] ?? 0),
  }));
}

/** Type OIDs of every column of `rows`, given the columns' declared types. */
export function resultTypeOids(
  columnCount: number,
  rows: readonly unknown[][],
  declared: readonly (string | null)[] | undefined,
): number[] {
  const oids: number[] = [];
  for (let c = 0; c < columnCount; c++) {
    oids.push(columnTypeOid(columnValues(rows, c), declared?.[c]));
  }
  return oids;
}

function* columnValues(rows: readonly unknown[][], c: number): Generator<unknown> {
  for (const row of rows) yield row[c];
}

/** Encodes one value of a column of type `oid` in format 0 (text) or 1 (binary); null stays null (SQL NULL). */
export function encodeValue(value: unknown, oid: number, format: number): Buffer | null {
  if (value === null || value === undefined) return null;
  const v = value as SqliteValue;
  if (format === 1) return encodeBinary(v, oid);
  switch (oid) {
    case PG_TYPE.bool:
      return Buffer.from(Number(v) !== 0 ? 't' : 'f');
    case PG_TYPE.bytea:
      return Buffer.from(`\\x${Buffer.from(v as Uint8Array).toString('hex')}`);
    case PG_TYPE.float8:
      return Buffer.from(formatFloat(Number(v)));
    default:
      return v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(String(v));
  }
}

function formatFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return 'Infinity';
  if (n === Number.NEGATIVE_INFINITY) return '-Infinity';
  return String(n);
}

function encodeBinary(v: SqliteValue, oid: number): Buffer {
  switch (oid) {
    case PG_TYPE.bool:
      return Buffer.from([Number(v) !== 0 ? 1 : 0]);
    case PG_TYPE.int8: {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(v as number | bigint));
      return b;
    }
    case PG_TYPE.float8: {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(Number(v));
      return b;
    }
    default:
      return v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(String(v));
  }
}

/**
 * Decodes one Bind parameter into a SQLite value by the type the client gave it in Parse (`typeOid`, 0 when
 * unspecified) and its format (0 text, 1 binary). Text of an unspecified type stays text (SQLite's column
 * affinity converts it on insert and comparison); binary of an unspecified type is a BLOB.
 * @throws InfrabaseError `INVALID_ARGUMENT` naming the parameter when its bytes do not fit its type.
 */
export function decodeParam(raw: Buffer | null, typeOid: number, format: number, position: number): unknown {
  if (raw === null) return null;
  const bad = (what: string) =>
    new InfrabaseError('INVALID_ARGUMENT', `parameter $${position} is not a valid ${what}`);
  if (format === 1) {
    switch (typeOid) {
      case PG_TYPE.bool:
        return raw[0] ? 1 : 0;
      case PG_TYPE.int2:
        if (raw.length !== 2) throw bad('binary int2');
        return raw.readInt16BE();
      case PG_TYPE.int4:
      case PG_TYPE.oid:
        if (raw.length !== 4) throw bad('binary int4');
        return raw.readInt32BE();
      case PG_TYPE.int8: {
        if (raw.length !== 8) throw bad('binary int8');
        const n = raw.readBigInt64BE();
        return Number.isSafeInteger(Number(n)) ? Number(n) : n;
      }
      case PG_TYPE.float4:
        if (raw.length !== 4) throw bad('binary float4');
        return raw.readFloatBE();
      case PG_TYPE.float8:
        if (raw.length !== 8) throw bad('binary float8');
        return raw.readDoubleBE();
      case PG_TYPE.text:
      case PG_TYPE.varchar:
        return raw.toString('utf8');
      default:
        return raw;
    }
  }
  const text = raw.toString('utf8');
  switch (typeOid) {
    case PG_TYPE.bool: {
      const t = text.trim().toLowerCase();
      if (['t', 'true', 'yes', 'on', '1'].includes(t)) return 1;
      if (['f', 'false', 'no', 'off', '0'].includes(t)) return 0;
      throw bad('boolean');
    }
    case PG_TYPE.int2:
    case PG_TYPE.int4:
    case PG_TYPE.int8:
    case PG_TYPE.oid: {
      if (!/^\s*[+-]?\d+\s*$/.test(text)) throw bad('integer');
      const n = BigInt(text.trim());
      return Number.isSafeInteger(Number(n)) ? Number(n) : n;
    }
    case PG_TYPE.float4:
    case PG_TYPE.float8:
    case PG_TYPE.numeric: {
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n)) throw bad('number');
      return n;
    }
    case PG_TYPE.bytea:
      if (!text.startsWith('\\x')) throw bad('bytea in hex format (\\x...)');
      return Buffer.from(text.slice(2), 'hex');
    default:
      return text;
  }
}
