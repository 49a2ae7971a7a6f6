/**
 * How rows are spread over k shards: by a hash of a column's value (equal values land together), or
 * round-robin by the row's position in the file. Pure.
 */

/** FNV-1a 32-bit of the value's text form (NULL hashes as the empty string). */
export function fnv1a(value: unknown): number {
  const s = value === null || value === undefined ? '' : String(value);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

/**
 * The shard (0…k−1) of each row of a batch.
 * @param offset position of the batch's first row in the whole load (for round-robin).
 * @param keyIndex column index to hash, or undefined for round-robin.
 */
export function assignShards(
  rows: readonly unknown[][],
  k: number,
  offset: number,
  keyIndex?: number,
): number[] {
  return rows.map((row, i) => (keyIndex === undefined ? (offset + i) % k : fnv1a(row[keyIndex]) % k));
}

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
