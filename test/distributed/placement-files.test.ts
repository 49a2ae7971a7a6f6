import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluateWrite, PlacementFiles, type WriteBatch } from '../../engine/index.js';

let dir: string;
let a: PlacementFiles;
let b: PlacementFiles;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'placements-'));
  a = new PlacementFiles(join(dir, 'a'));
  b = new PlacementFiles(join(dir, 'b'));
});
afterEach(() => {
  a.close();
  b.close();
  rmSync(dir, { recursive: true, force: true });
});

const create: WriteBatch['ops'][number] = {
  op: 'create_table',
  table: 't',
  columns: [
    { name: 'k', type: 'TEXT' },
    { name: 'v', type: 'REAL' },
    { name: 'b', type: 'BLOB' },
  ],
};
const upsert = (rows: unknown[][]) => ({
  op: 'upsert' as const,
  table: 't',
  columns: ['_row', 'k', 'v', 'b'],
  rows,
});

describe('PlacementFile.apply', () => {
  it('applies batches in lsn order; replays are duplicates; two placements fed the same batches agree', () => {
    for (const p of [a, b]) p.create('g', 3, 1);
    const batches: WriteBatch[] = [
      { epoch: 1, lsn: 1, ops: [create] },
      {
        epoch: 1,
        lsn: 2,
        ops: [
          upsert([
            [1, 'x', 1.5, { $base64: 'AAE=' }],
            [2, 'y', 2, null],
          ]),
        ],
      },
      { epoch: 2, lsn: 3, ops: [upsert([[2, 'y', 3.25, null]]), { op: 'delete', table: 't', rows: [1] }] },
    ];
    for (const batch of batches) {
      expect(a.get('g', 3).apply(batch)).toBe('applied');
      expect(b.get('g', 3).apply(batch)).toBe('applied');
    }
    expect(a.get('g', 3).apply({ ...batches[1], epoch: 2 })).toBe('duplicate');
    expect(() => a.get('g', 3).apply(batches[1])).toThrow(/stale epoch/);
    expect(a.get('g', 3).position()).toEqual({ colocationGroup: 'g', shard: 3, epoch: 2, lsn: 3 });
    expect(a.query('g', 3, 'SELECT _row, k, v FROM t', [])).toEqual({
      columns: ['_row', 'k', 'v'],
      rows: [[2, 'y', 3.25]],
    });
    expect(a.get('g', 3).checksum()).toEqual(b.get('g', 3).checksum());
    expect(a.get('g', 3).checksum().rows).toBe(1);
  });

  it('refuses a stale epoch and an lsn gap, changing nothing', () => {
    a.create('g', 0, 1);
    const f = a.get('g', 0);
    f.apply({ epoch: 5, lsn: 1, ops: [create] });
    const before = f.checksum();
    expect(() => f.apply({ epoch: 4, lsn: 2, ops: [upsert([[1, 'x', 1, null]])] })).toThrow(
      /stale epoch: .* seen epoch 5; batch has 4/,
    );
    expect(() => f.apply({ epoch: 5, lsn: 3, ops: [upsert([[1, 'x', 1, null]])] })).toThrow(
      /lsn gap: .* at lsn 1; batch is 3/,
    );
    expect(f.checksum()).toEqual(before);
    expect(f.position().lsn).toBe(1);
  });

  it('fence raises the epoch so a coordinator with an older view is refused', () => {
    a.create('g', 0, 1);
    const f = a.get('g', 0);
    expect(f.fence(7)).toBe(7);
    expect(f.fence(3)).toBe(7);
    expect(() => f.apply({ epoch: 6, lsn: 1, ops: [create] })).toThrow(/stale epoch/);
  });

  it('refuses batches that touch bookkeeping tables or have the wrong shape', () => {
    a.create('g', 0, 1);
    const f = a.get('g', 0);
    expect(() => f.apply({ epoch: 1, lsn: 1, ops: [{ op: 'drop_table', table: '_log' }] })).toThrow(
      /not _placement, _log/,
    );
    expect(() =>
      f.apply({ epoch: 1, lsn: 1, ops: [{ op: 'upsert', table: 't', columns: ['k'], rows: [] }] }),
    ).toThrow(/start with _row/);
    expect(() => f.apply({ epoch: 1, lsn: 0, ops: [] })).toThrow(/lsn must be an integer >= 1/);
  });

  it('logSince serves catch-up, and says so when the log was trimmed', () => {
    const small = new PlacementFiles(join(dir, 'c'), { logRetention: 5 });
    small.create('g', 0, 1);
    const f = small.get('g', 0);
    f.apply({ epoch: 1, lsn: 1, ops: [create] });
    for (let i = 2; i <= 10; i++) f.apply({ epoch: 1, lsn: i, ops: [upsert([[i, `k${i}`, i, null]])] });
    expect(f.logSince(7).map((x) => x.lsn)).toEqual([8, 9, 10]);
    expect(f.logSince(10)).toEqual([]);
    expect(() => f.logSince(3)).toThrow(/no longer holds lsn 4 \(trimmed\)/);
    small.close();
  });
});

describe('snapshot, install and catch-up (a move)', () => {
  it('a copy made while writes go on, then caught up from the log, has the same checksum', async () => {
    a.create('g', 1, 1);
    const src = a.get('g', 1);
    src.apply({ epoch: 1, lsn: 1, ops: [create] });
    src.apply({ epoch: 1, lsn: 2, ops: [upsert([[1, 'a', 1, null]])] });
    const snap = await a.snapshot('g', 1, join(dir, 'snap.db'));
    expect(snap).toMatchObject({ colocationGroup: 'g', shard: 1, lsn: 2 });
    expect(snap.bytes).toBeGreaterThan(0);
    src.apply({ epoch: 1, lsn: 3, ops: [upsert([[2, 'b', 2, null]])] });
    src.apply({ epoch: 1, lsn: 4, ops: [{ op: 'delete', table: 't', rows: [1] }] });
    b.install('g', 1, join(dir, 'snap.db'));
    const dst = b.get('g', 1);
    for (const batch of src.logSince(dst.position().lsn)) dst.apply(batch);
    expect(dst.position().lsn).toBe(4);
    expect(dst.checksum()).toEqual(src.checksum());
  });

  it('install refuses a snapshot of another shard', async () => {
    a.create('g', 1, 1);
    await a.snapshot('g', 1, join(dir, 'snap.db'));
    expect(() => b.install('g', 2, join(dir, 'snap.db'))).toThrow(/holds g\/1, not g\/2/);
  });
});

describe('PlacementFiles.query', () => {
  it('sees the shard tables and the reference tables under their own names, and refuses writes', () => {
    a.create('g', 0, 1);
    a.get('g', 0).apply({ epoch: 1, lsn: 1, ops: [create, upsert([[1, 'x', 1, null]])] });
    a.create('reference', 0, 1);
    a.get('reference', 0).apply({
      epoch: 1,
      lsn: 1,
      ops: [
        {
          op: 'create_table',
          table: 'names',
          columns: [
            { name: 'k', type: 'TEXT' },
            { name: 'label', type: 'TEXT' },
          ],
        },
        { op: 'upsert', table: 'names', columns: ['_row', 'k', 'label'], rows: [[1, 'x', 'ex']] },
      ],
    });
    expect(a.query('g', 0, 'SELECT t.k, n.label FROM t JOIN names n USING (k)', [])).toEqual({
      columns: ['k', 'label'],
      rows: [['x', 'ex']],
    });
    expect(() => a.query('g', 0, 'DELETE FROM t', [])).toThrow(/read-only statement/);
    expect(() => a.query('g', 9, 'SELECT 1', [])).toThrow(/holds no placement of g\/9/);
    expect(() => a.path('../x', 0)).toThrow(/not accepted/);
  });

  it('lists and drops placements', () => {
    a.create('g', 2, 1);
    a.create('g', 0, 1);
    expect(a.list().map((p) => p.shard)).toEqual([0, 2]);
    a.drop('g', 2);
    expect(a.list().map((p) => p.shard)).toEqual([0]);
  });
});

describe('evaluateWrite', () => {
  const keys = new Map([['t', 'k']]);
  const setup = () => {
    a.create('g', 0, 1);
    const f = a.get('g', 0);
    f.apply({
      epoch: 1,
      lsn: 1,
      ops: [
        create,
        upsert([
          [1, 'x', 1, null],
          [2, 'y', 2, null],
          [3, 'z', 3, null],
        ]),
      ],
    });
    return f;
  };

  it('returns the images of an UPDATE and the ids of a DELETE, and leaves the placement unchanged', () => {
    const f = setup();
    const before = f.checksum();
    expect(evaluateWrite(f, 'UPDATE t SET v = v * 10 WHERE v >= ?', [2], keys)).toEqual([
      {
        op: 'upsert',
        table: 't',
        columns: ['_row', 'k', 'v', 'b'],
        rows: [
          [2, 'y', 20, null],
          [3, 'z', 30, null],
        ],
      },
    ]);
    expect(evaluateWrite(f, "DELETE FROM t WHERE k = 'x'", [], keys)).toEqual([
      { op: 'delete', table: 't', rows: [1] },
    ]);
    expect(f.checksum()).toEqual(before);
  });

  it('evaluates random() once: applying the images gives every placement the same value', () => {
    const f = setup();
    b.create('g', 0, 1);
    b.get('g', 0).apply(f.logSince(0)[0]);
    const ops = evaluateWrite(f, 'UPDATE t SET v = random()', [], keys);
    f.apply({ epoch: 1, lsn: 2, ops });
    b.get('g', 0).apply({ epoch: 1, lsn: 2, ops });
    expect(f.checksum()).toEqual(b.get('g', 0).checksum());
  });

  it.each([
    [
      'changing the shard key',
      "UPDATE t SET k = 'moved'",
      /changing the shard key k of "t" is not supported/,
    ],
    ['INSERT … SELECT', 'INSERT INTO t (k) SELECT k FROM t', /INSERT … SELECT is not supported/],
    ['a schema change', 'CREATE TABLE u (x)', /not a schema change/],
    ['a read', 'SELECT * FROM t', /only reads/],
    ['writing the position', 'UPDATE _placement SET lsn = 0', /cannot be written/],
  ])('refuses %s and changes nothing', (_what, sql, message) => {
    const f = setup();
    const before = f.checksum();
    expect(() => evaluateWrite(f, sql, [], keys)).toThrow(message);
    expect(f.checksum()).toEqual(before);
    expect(f.tables()).toEqual(['t']);
  });
});
