/**
 * SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html) for infrabase's errors, so a
 * Postgres client can branch on them; the message travels unchanged.
 */
import type { ErrorCode, InfrabaseError } from '../../engine/index.js';

const BY_CODE: Readonly<Record<ErrorCode, string>> = {
  INVALID_ARGUMENT: '22023', // invalid_parameter_value
  INVALID_SPEC: '22023',
  SQL_ERROR: '42000', // syntax_error_or_access_rule_violation; refined below
  CONSTRAINT: '23000', // integrity_constraint_violation; refined below
  BUSY: '55P03', // lock_not_available
  READONLY: '25006', // read_only_sql_transaction
  UNAUTHENTICATED: '28000', // invalid_authorization_specification
  PERMISSION_DENIED: '42501', // insufficient_privilege
  NOT_FOUND: '42704', // undefined_object
  ALREADY_EXISTS: '42710', // duplicate_object
  TIMEOUT: '57014', // query_canceled
  THROTTLED: '53000', // insufficient_resources
  INSUFFICIENT_CAPACITY: '53000',
  UNAVAILABLE: '57P03', // cannot_connect_now
  CONFLICT: '40001', // serialization_failure
  MODEL_ERROR: '22000', // data_exception
  INTERNAL: 'XX000', // internal_error
};

/** SQLite's extended constraint codes (https://sqlite.org/rescode.html) and their class-23 SQLSTATEs. */
const BY_SQLITE_CONSTRAINT: Readonly<Record<string, string>> = {
  SQLITE_CONSTRAINT_UNIQUE: '23505',
  SQLITE_CONSTRAINT_PRIMARYKEY: '23505',
  SQLITE_CONSTRAINT_ROWID: '23505',
  SQLITE_CONSTRAINT_NOTNULL: '23502',
  SQLITE_CONSTRAINT_FOREIGNKEY: '23503',
  SQLITE_CONSTRAINT_CHECK: '23514',
};

/**
 * SQLite reports every compile error as plain `SQLITE_ERROR`; its messages start with fixed phrases
 * (sqlite3ErrorMsg calls in SQLite's parser and resolver), which tell a syntax error from an unknown name.
 */
const SQL_ERROR_PHRASES: readonly (readonly [string, string])[] = [
  ['syntax error', '42601'],
  ['incomplete input', '42601'],
  ['unrecognized token', '42601'],
  ['no such table', '42P01'], // undefined_table
  ['no such column', '42703'], // undefined_column
  ['no such function', '42883'], // undefined_function
  ['wrong number of arguments', '42883'],
  ['table ', '42P07'], // "table x already exists"
];

/** The SQLSTATE of an infrabase error. */
export function sqlStateOf(err: InfrabaseError): string {
  const sqlite = typeof err.details?.sqlite === 'string' ? err.details.sqlite : undefined;
  if (err.code === 'CONSTRAINT' && sqlite) return BY_SQLITE_CONSTRAINT[sqlite] ?? BY_CODE.CONSTRAINT;
  if (err.code === 'SQL_ERROR') {
    const text = err.message.toLowerCase();
    for (const [phrase, state] of SQL_ERROR_PHRASES) {
      if (text.startsWith(phrase) || text.includes(`: ${phrase}`)) {
        if (state === '42P07' && !text.includes('already exists')) continue;
        return state;
      }
    }
  }
  return BY_CODE[err.code];
}
