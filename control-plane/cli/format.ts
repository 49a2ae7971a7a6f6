import Table from 'cli-table3';

/** Renders a cell for a terminal table: NULL as `NULL`, BLOBs by size, objects as JSON. */
export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') {
    const b64 = (v as { $base64?: unknown }).$base64;
    if (typeof b64 === 'string') return `<blob ${Buffer.byteLength(b64, 'base64')} bytes>`;
    return JSON.stringify(v);
  }
  return String(v);
}

/** A result set as a boxed table, followed by a row count line. */
export function renderTable(columns: string[], rows: unknown[][]): string {
  const table = new Table({ head: columns, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map(formatCell));
  return `${table.toString()}\n(${rows.length} row${rows.length === 1 ? '' : 's'})`;
}
