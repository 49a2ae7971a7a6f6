import { describe, expect, it } from 'vitest';
import { classifyWrite, type TableRow } from '../../engine/index.js';

const table = (name: string): TableRow => ({
  name,
  kind: 'distributed',
  shardKey: 'k',
  shardCount: 4,
  colocationGroup: name,
  columns: [
    { name: '_row', type: 'INTEGER' },
    { name: 'k', type: 'TEXT' },
    { name: 'v', type: 'REAL' },
  ],
  replicationFactor: 2,
  regionColumn: null,
  regions: null,
  status: 'active',
});
const tables = [table('kv'), table('other')];

describe('classifyWrite (SQLite’s own report over empty copies)', () => {
  it('evaluates INSERT … VALUES once into rows, _row dropped, expressions and parameters applied', () => {
    expect(classifyWrite(tables, "INSERT INTO kv (k, v) VALUES ('a', 1 + 1), (?, ?)", ['b', 2.5])).toEqual({
      kind: 'insert',
      table: 'kv',
      columns: ['k', 'v'],
      rows: [
        ['a', 2],
        ['b', 2.5],
      ],
    });
  });

  it('marks UPDATE and DELETE of a distributed table for evaluation on the primaries', () => {
    expect(classifyWrite(tables, 'UPDATE kv SET v = v + 1 WHERE k = ?', ['a'])).toEqual({
      kind: 'modify',
      table: 'kv',
    });
    expect(classifyWrite(tables, 'DELETE FROM kv WHERE v > 3', [])).toEqual({ kind: 'modify', table: 'kv' });
  });

  it('leaves reads and statements about other tables to the ordinary path', () => {
    expect(classifyWrite(tables, 'SELECT * FROM kv', [])).toBeUndefined();
    expect(classifyWrite(tables, "INSERT INTO sys_nodes (role) VALUES ('data')", [])).toBeUndefined();
    expect(classifyWrite(tables, 'SELECT 1', [])).toBeUndefined();
  });

  it('refuses INSERT … SELECT from a distributed table and RETURNING', () => {
    expect(() =>
      classifyWrite(tables, "INSERT INTO kv (k, v) SELECT k, v FROM other UNION ALL SELECT 'x', 1", []),
    ).toThrow(/INSERT … SELECT into distributed table kv is not supported/);
    expect(() => classifyWrite(tables, "INSERT INTO kv (k) VALUES ('a') RETURNING _row", [])).toThrow(
      /RETURNING is not supported/,
    );
  });
});
