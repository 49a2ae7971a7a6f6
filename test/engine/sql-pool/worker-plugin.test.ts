import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compiledPath,
  isInfrabaseError,
  openDatabase,
  SqlPool,
  type SqlPoolObserver,
  type StatementKind,
  type StatementOutcome,
} from '../../../engine/index.js';
import { tempDir } from '../../support/tmp.js';

/** What the pool's workers get from the plug-in its composer names, and what they report back. */
const PLUGIN = compiledPath(import.meta.url, '../../support/test-worker-plugin.js');
const TIMEOUTS = { defaultTimeoutMs: 20_000, maxTimeoutMs: 60_000 };

let tmp: ReturnType<typeof tempDir>;
let dbPath: string;
const pools: SqlPool[] = [];
const statements: [StatementKind, StatementOutcome][] = [];
const usage: unknown[] = [];
const observer: SqlPoolObserver = {
  statement: (kind, outcome) => void statements.push([kind, outcome]),
  usage: (report) => void usage.push(report),
};

function pool(options: Partial<ConstructorParameters<typeof SqlPool>[0]> = {}): SqlPool {
  const p = new SqlPool({ dbPath, size: 1, ...TIMEOUTS, ...options });
  pools.push(p);
  return p;
}

beforeAll(() => {
  tmp = tempDir('infrabase-worker-plugin-');
  dbPath = join(tmp.dir, 'infrabase.db');
  openDatabase(dbPath, { migrate: true }).close();
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  tmp?.cleanup();
});

describe('a SQL pool with a worker plug-in', () => {
  it('configures each worker with the settings and registers its functions on the connection', async () => {
    const p = pool({ plugin: { module: PLUGIN, settings: { limit: 7 } }, observer });
    const r = await p.execute({ sql: 'SELECT plugin_settings() AS s', readOnly: true });
    expect(r.rows).toEqual([['{"limit":7}']]);
  });

  it("hands the plug-in's usage report of each answer to the observer, and nothing when there is none", async () => {
    const p = pool({ plugin: { module: PLUGIN }, observer });
    usage.length = 0;
    await p.execute({ sql: 'SELECT plugin_calls(), plugin_calls()', readOnly: true });
    await p.execute({ sql: 'SELECT 1', readOnly: true });
    await expect(p.execute({ sql: 'SELECT plugin_calls() FROM no_such_table' })).rejects.toThrow(
      /no_such_table/,
    );
    expect(usage).toEqual([{ calls: 2 }]);
    await p.execute({ sql: 'SELECT plugin_calls()', readOnly: true });
    expect(usage).toEqual([{ calls: 2 }, { calls: 1 }]);
  });

  it("runs a request naming a handler with the plug-in's handler, as a read", async () => {
    const p = pool({ plugin: { module: PLUGIN }, observer });
    statements.length = 0;
    const r = await p.execute({
      sql: 'SELECT whatever',
      mode: 'describe',
      handler: { name: 'echo', context: { user: 'u' } },
    });
    expect(r.rows).toEqual([['SELECT whatever', 'describe', '{"user":"u"}']]);
    expect(statements).toEqual([['read', 'ok']]);
  });

  it('refuses a handler the plug-in lacks, naming it', async () => {
    const p = pool({ plugin: { module: PLUGIN } });
    const err = await p.execute({ sql: 'SELECT 1', handler: { name: 'toString' } }).catch((e: Error) => e);
    expect(isInfrabaseError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/no statement handler 'toString'/);
  });

  it('without a plug-in, runs the engine SQL only', async () => {
    const p = pool();
    await expect(p.execute({ sql: 'SELECT 2 + 2', readOnly: true })).resolves.toMatchObject({ rows: [[4]] });
    await expect(p.execute({ sql: 'SELECT plugin_settings()', readOnly: true })).rejects.toThrow(
      /no such function: plugin_settings/,
    );
  });

  it('fails to start when the plug-in refuses its settings or does not load', async () => {
    for (const plugin of [
      { module: PLUGIN, settings: { refuse: true } },
      { module: join(tmp.dir, 'missing.js') },
    ]) {
      const p = pool({ plugin });
      await expect(p.start()).rejects.toThrow(/exited before it was ready/);
      await p.close(); // a worker that cannot start is replaced until the pool closes
    }
  });
});
