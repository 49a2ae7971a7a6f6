import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { fitColumnWidths, formatAge, renderTable } from '../../control-plane/cli/format.js';
import { buildProgram } from '../../control-plane/cli/program.js';
import { openDatabase } from '../../engine/index.js';

describe('fitColumnWidths', () => {
  it('keeps natural widths that fit', () => {
    expect(fitColumnWidths([4, 10, 3], 17)).toEqual([4, 10, 3]);
  });

  it('cuts only the widest columns to a common cap that uses the whole width', () => {
    expect(fitColumnWidths([4, 50, 30], 30)).toEqual([4, 13, 13]);
    expect(fitColumnWidths([4, 50, 30], 31)).toEqual([4, 14, 13]);
  });

  it('never cuts a column under 2 columns', () => {
    expect(fitColumnWidths([10, 10, 10], 3)).toEqual([2, 2, 2]);
  });
});

describe('renderTable', () => {
  const rows = [['n-1', 'x'.repeat(100), 'ready']];

  it('fits a box table into the given width with … where cells were cut', () => {
    const text = renderTable(['id', 'reason', 'status'], rows, { width: 40 });
    const lines = text.split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(40);
    expect(lines[3]).toMatch(/^│ n-1 │ x+… │ ready +│$/);
    expect(lines.at(-1)).toBe('(1 row)');
  });

  it('fits a plain (kubectl-like) table and draws no borders', () => {
    const text = renderTable(['ID', 'REASON', 'STATUS'], rows, { width: 30, style: 'plain' });
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^ID +REASON +STATUS$/),
      expect.stringMatching(/^n-1 +x+… +ready$/),
    ]);
    for (const line of text.split('\n')) expect([...line].length).toBeLessThanOrEqual(30);
  });

  it('prints every cell whole without a width', () => {
    expect(
      renderTable(
        ['reason'],
        rows.map((r) => [r[1]]),
        { width: undefined },
      ),
    ).toContain('x'.repeat(100));
  });
});

describe('formatAge', () => {
  it('prints the largest whole unit as kubectl does', () => {
    expect([5_000, 300_000, 3 * 3_600_000, 3 * 86_400_000].map(formatAge)).toEqual(['5s', '5m', '3h', '3d']);
  });
});

describe('infrabase train --help defaults', () => {
  it('are the column defaults of sys_training_jobs', () => {
    const db: Database = openDatabase(':memory:', { migrate: true });
    const defaults = new Map(
      (
        db.prepare('PRAGMA table_info(sys_training_jobs)').all() as { name: string; dflt_value: string }[]
      ).map((c) => [c.name, c.dflt_value]),
    );
    db.close();
    const train = buildProgram([]).commands.find((c) => c.name() === 'train')!;
    const flag = (name: string) => train.options.find((o) => o.long === name)!.defaultValue;
    const columns: [string, string][] = [
      ['--type', 'model_type'],
      ['--strategy', 'strategy'],
      ['--rounds', 'rounds'],
      ['--epochs', 'local_epochs'],
      ['--batch-size', 'batch_size'],
      ['--learning-rate', 'learning_rate'],
      ['--optimizer', 'optimizer'],
      ['--min-shards', 'min_shards'],
      ['--fraction', 'fraction'],
      ['--round-timeout-ms', 'round_timeout_ms'],
    ];
    for (const [option, column] of columns) {
      const sql = defaults.get(column)!;
      const value = sql.startsWith("'") ? sql.slice(1, -1) : Number(sql);
      expect({ option, value: flag(option) }).toEqual({ option, value });
    }
    expect(train.helpInformation()).toMatch(/--rounds <n> +federated rounds \(default: 10\)/);
  });
});
