/**
 * Column types of a table loaded from text (a CSV file): inferred from sample values, then each field
 * converted to its column's type. Pure; both layouts (distributed and per-node) use them.
 */

/** Column types inferred from sample values: INTEGER, REAL or TEXT (empty strings and NULLs ignored). */
export function inferColumnTypes(
  columns: readonly string[],
  sample: readonly unknown[][],
): ('INTEGER' | 'REAL' | 'TEXT')[] {
  return columns.map((_, j) => {
    let type: 'INTEGER' | 'REAL' | 'TEXT' = 'INTEGER';
    let seen = false;
    for (const row of sample) {
      const v = row[j];
      if (v === null || v === undefined || v === '') continue;
      seen = true;
      const n = Number(v);
      if (typeof v !== 'number' && (typeof v !== 'string' || !Number.isFinite(n) || v.trim() !== v))
        return 'TEXT';
      if (!Number.isInteger(n)) type = 'REAL';
    }
    return seen ? type : 'TEXT';
  });
}

/** Converts a CSV field for a column of `type`: numbers for INTEGER/REAL columns, NULL for empty fields. */
export function coerceValue(v: string, type: string): string | number | null {
  if (v === '') return null;
  if (type === 'INTEGER' || type === 'REAL') {
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  }
  return v;
}
