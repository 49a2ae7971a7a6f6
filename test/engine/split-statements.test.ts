import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../engine/index.js';

describe('splitStatements', () => {
  it('returns every statement ended by ; and keeps an unterminated last one as the rest', () => {
    expect(splitStatements('SELECT 1; SELECT 2;\n')).toEqual({
      statements: ['SELECT 1', 'SELECT 2'],
      rest: '',
      parsedWhole: true,
    });
    expect(splitStatements('SELECT 1; SELECT 2')).toEqual({
      statements: ['SELECT 1'],
      rest: 'SELECT 2',
      parsedWhole: true,
    });
  });

  it('never splits at a ; inside a string, a comment or a trigger body', () => {
    const trigger = "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 'a;b'; END";
    expect(splitStatements(`SELECT ';' AS c; -- x; y\n${trigger};`).statements).toEqual([
      "SELECT ';' AS c",
      trigger,
    ]);
  });

  it('waits for more input when the parser reached the end of an open statement', () => {
    expect(splitStatements('SELECT 1; SELECT 40 +\n')).toEqual({
      statements: ['SELECT 1'],
      rest: ' SELECT 40 +\n',
      parsedWhole: false,
    });
    const open = splitStatements('CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;');
    expect(open.statements).toEqual([]);
    expect(open.syntaxError).toBeUndefined();
  });

  it('returns the statements before a syntax error, and the rest from there with the parser message', () => {
    const split = splitStatements('SELECT 1 AS x; SELEC 2; SELECT 3;');
    expect(split.statements).toEqual(['SELECT 1 AS x']);
    expect(split.rest).toBe(' SELEC 2; SELECT 3;');
    expect(split.syntaxError).toMatch(/Unexpected "SELEC".*\(line 1, column 16\)/s);
  });

  it('ignores empty statements and blank input', () => {
    expect(splitStatements(';;  \n')).toEqual({ statements: [], rest: '', parsedWhole: true });
    expect(splitStatements('   ')).toEqual({ statements: [], rest: '', parsedWhole: true });
  });
});
