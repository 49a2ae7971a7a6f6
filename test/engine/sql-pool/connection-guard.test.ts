import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userSqlExtensions, userSqlPool } from '../../../control-plane/modules/index.js';
import {
  type Database,
  isInfrabaseError,
  openDatabase,
  type QueryResult,
  type SqlPool,
} from '../../../engine/index.js';
import {
  authorizerActions,
  type Expect,
  generatedStatements,
  pragmaFunctions,
  statementsByAction,
} from '../../support/statement-kinds.js';
import { tempDir } from '../../support/tmp.js';

// One worker, so every request of this file runs on the same pooled connection (unless it is replaced).
let tmp: ReturnType<typeof tempDir>;
let db: Database;
let pool: SqlPool;
const replaced: string[] = [];

beforeAll(async () => {
  tmp = tempDir('infrabase-guard-');
  const dbPath = join(tmp.dir, 'infrabase.db');
  db = openDatabase(dbPath, { migrate: true, extensions: userSqlExtensions() });
  db.exec('CREATE TABLE t (x INTEGER); CREATE TABLE probe (n INTEGER PRIMARY KEY)');
  const logger = pino({ level: 'warn' }, { write: (line: string) => void replaced.push(line) });
  pool = userSqlPool({ dbPath, size: 1, defaultTimeoutMs: 20_000, maxTimeoutMs: 60_000, logger });
  await pool.start();
});
afterAll(async () => {
  await pool?.close();
  db?.close();
  tmp?.cleanup();
});

type Outcome = { result: QueryResult } | { error: Error };
const run = (sql: string, readOnly: boolean, params?: unknown[]): Promise<Outcome> =>
  pool.execute({ sql, readOnly, params }).then(
    (result) => ({ result }),
    (error: Error) => ({ error }),
  );

/** The connection's settings as a read request sees them: every PRAGMA readable as a table, attachments, TEMP. */
let probeSql = '';
let extraProbes: string[] = [];
function buildProbe(): void {
  const names = db.prepare('SELECT name FROM pragma_pragma_list').pluck().all() as string[];
  const modules = pragmaFunctions(db, names);
  // Values a write by the admin changes on its own, lists, and checks that act or need an argument.
  const skip = new Set([
    'data_version',
    'freelist_count',
    'page_count',
    'schema_version',
    'integrity_check',
    'quick_check',
    'foreign_key_check',
    'optimize',
    'function_list',
    'module_list',
    'pragma_list',
    'collation_list',
    'compile_options',
    'table_list',
    'database_list',
    'table_info',
    'table_xinfo',
    'index_info',
    'index_xinfo',
    'index_list',
    'foreign_key_list',
  ]);
  const settings = names.filter((n) => modules.has(`pragma_${n}`) && !skip.has(n));
  const fields = settings.map((n) => `'${n}', (SELECT * FROM pragma_${n})`);
  fields.push(`'database_list', (SELECT group_concat(name) FROM pragma_database_list)`);
  fields.push(`'temp_objects', (SELECT count(*) FROM temp.sqlite_schema)`);
  probeSql = `SELECT json_object(${fields.join(', ')})`;
  // Settings without a table-valued function are read one by one (the acting ones are refused by design).
  const acting = new Set(['optimize', 'incremental_vacuum', 'shrink_memory', 'wal_checkpoint']);
  extraProbes = names.filter((n) => !modules.has(`pragma_${n}`) && !acting.has(n)).map((n) => `PRAGMA ${n}`);
  expect(settings.length).toBeGreaterThan(25);
}

async function connectionState(): Promise<string> {
  const parts: unknown[] = [];
  for (const sql of [probeSql, ...extraProbes]) {
    const out = await run(sql, true);
    if ('error' in out) throw out.error;
    parts.push(out.result.rows);
  }
  return JSON.stringify(parts);
}

let probeId = 0;
/** An admin INSERT is acknowledged and committed: another connection sees it (it would not inside an open transaction). */
async function adminWriteCommits(): Promise<void> {
  const n = ++probeId;
  const out = await run('INSERT INTO probe (n) VALUES (?)', false, [n]);
  if ('error' in out) throw out.error;
  expect(out.result.changes).toBe(1);
  expect(db.prepare('SELECT count(*) FROM probe WHERE n = ?').pluck().get(n)).toBe(1);
}

function checkOutcome(out: Outcome, expected: Expect, what: string): void {
  if (expected === 'any') return;
  const error = 'error' in out ? out.error : undefined;
  if (expected === 'state') {
    expect(isInfrabaseError(error, 'INVALID_ARGUMENT'), `${what}: ${error?.message}`).toBe(true);
    expect(error?.message, what).toMatch(/^refused: .+; each request runs on a pooled connection/);
  } else if (expected === 'write') {
    expect(error, what).toBeDefined();
    expect(['PERMISSION_DENIED', 'INVALID_ARGUMENT'], `${what}: ${error?.message}`).toContain(
      (error as { code?: string }).code,
    );
  } else if (error) {
    // 'ok': not refused as changing the connection (SQLite may still reject it on its own merits, e.g. a missing
    // table, and the read role is refused what SQLite reports as not read-only, e.g. PRAGMA journal_mode).
    expect(error.message, what).not.toMatch(/each request runs on a pooled connection/);
  }
}

describe('the connection guard on pooled SQL workers', () => {
  it('has a statement for every authorizer action of the linked SQLite', () => {
    const covered = statementsByAction(join(tmp.dir, 'other.db'));
    const actions = [...authorizerActions().keys()];
    expect(actions.length).toBeGreaterThanOrEqual(33);
    for (const action of actions) expect(covered[action]?.length ?? 0, action).toBeGreaterThan(0);
  });

  it('runs every generated statement with both roles and the next request always finds a clean connection', async () => {
    buildProbe();
    const clean = await connectionState();
    const statements = generatedStatements(db, join(tmp.dir, 'other.db'));
    expect(statements.length).toBeGreaterThan(600);
    let refusals = 0;
    // The objects the DROP statements name exist during the read pass, so that each one is really refused.
    db.exec(`CREATE INDEX t_x ON t (x); CREATE TABLE t2 (y); CREATE VIEW v AS SELECT x FROM t;
      CREATE TRIGGER tr_p AFTER INSERT ON t BEGIN SELECT 1; END; CREATE VIRTUAL TABLE ft USING fts5(body)`);
    for (const role of ['read', 'admin'] as const) {
      for (const s of statements) {
        const what = `${role}: ${s.sql}`;
        const out = await run(s.sql, role === 'read');
        checkOutcome(out, s[role], what);
        if ('error' in out && /^refused: /.test(out.error.message)) refusals++;
        expect(await connectionState(), what).toBe(clean);
        await adminWriteCommits();
      }
    }
    expect(refusals).toBeGreaterThan(500);
    // The guard kept every connection clean by itself: the after-request check never had to replace a worker.
    expect(replaced.filter((l) => l.includes('replacing SQL worker'))).toEqual([]);
  }, 300_000);

  it('refuses the reported attacks with a clear error, and the admin writes that follow are kept', async () => {
    const savepoint = await run('SAVEPOINT s1', true);
    expect('error' in savepoint && savepoint.error.message).toMatch(
      /^refused: SAVEPOINT s1 .*transaction control.*no token may run transaction control \(BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE\)/,
    );
    const begin = await run('BEGIN', false);
    expect('error' in begin && begin.error.message).toMatch(/^refused: BEGIN \(transaction control\)/);
    for (let i = 0; i < 3; i++) await adminWriteCommits();

    const ignore = await run('PRAGMA ignore_check_constraints = ON', false);
    expect('error' in ignore && ignore.error.message).toMatch(
      /^refused: PRAGMA ignore_check_constraints = ON \(sets connection or database state\).*PRAGMAs that read are allowed/,
    );
    const azure = await run(
      "INSERT INTO sys_nodes (id, provider, role) VALUES ('n-azure', 'azure', 'data')",
      false,
    );
    expect('error' in azure && isInfrabaseError(azure.error, 'CONSTRAINT')).toBe(true);

    const attach = await run(`ATTACH '${join(tmp.dir, 'infrabase.db')}' AS copy`, true);
    expect('error' in attach && attach.error.message).toMatch(/^refused: ATTACH .*infrabase\.db/);
    const write = await run('DELETE FROM probe', true);
    expect('error' in write && isInfrabaseError(write.error, 'PERMISSION_DENIED')).toBe(true);
    expect('error' in write && write.error.message).toMatch(
      /^refused: DELETE from probe \(a write\); the read-only token may only read/,
    );
    expect(db.prepare('SELECT count(*) FROM probe').pluck().get()).toBe(probeId);
  });
});
