import Table from 'cli-table3';
import stringWidth from 'string-width';

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

/** How a table is drawn: `box` (psql-like, borders) or `plain` (kubectl-like: aligned columns, no borders). */
export type TableStyle = 'box' | 'plain';

export interface TableOptions {
  style?: TableStyle;
  /**
   * Terminal width in columns the table must fit: cells past their share are cut with `…`. Undefined: the
   * full width (not a terminal). Default: {@link terminalWidth}.
   */
  width?: number;
}

/** Narrowest a column is cut to, in terminal columns (room for one character and the `…` marker). */
export const MIN_COLUMN_WIDTH = 2;

/** The width tables must fit: stdout's columns when it is a terminal, else undefined (full width). */
export function terminalWidth(): number | undefined {
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}

/**
 * Column widths that fit `available` terminal columns of content: columns at or under a common cap keep their
 * natural width, wider ones are cut to the cap (the largest cap that fits), and no column goes under
 * {@link MIN_COLUMN_WIDTH} (so a very narrow terminal can still overflow). Pure.
 * @param natural each column's widest cell (header included), in terminal columns.
 */
export function fitColumnWidths(natural: readonly number[], available: number): number[] {
  const total = natural.reduce((a, b) => a + b, 0);
  if (total <= available) return [...natural];
  const sorted = [...natural].sort((a, b) => a - b);
  let room = available;
  let cap = MIN_COLUMN_WIDTH;
  for (let i = 0; i < sorted.length; i++) {
    const share = Math.floor(room / (sorted.length - i));
    if (sorted[i] > share) {
      cap = Math.max(MIN_COLUMN_WIDTH, share);
      break;
    }
    room -= sorted[i];
  }
  const widths = natural.map((w) => Math.min(w, cap));
  // Hand the columns cut to the cap what the floor left over, leftmost first.
  let spare = available - widths.reduce((a, b) => a + b, 0);
  for (let i = 0; i < widths.length && spare > 0; i++) {
    if (natural[i] > widths[i]) {
      widths[i]++;
      spare--;
    }
  }
  return widths;
}

const PLAIN_CHARS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '   ',
};

/** Terminal columns a table of `n` columns spends on borders and padding, by style. */
const overhead = (style: TableStyle, n: number) => (style === 'box' ? 3 * n + 1 : 3 * (n - 1));

/**
 * Rows as a table that fits `options.width` (cells cut with `…`); `box` tables end with a row count line.
 * Each cell goes through {@link formatCell}.
 */
export function renderTable(columns: string[], rows: unknown[][], options: TableOptions = {}): string {
  const style = options.style ?? 'box';
  const width = 'width' in options ? options.width : terminalWidth();
  const cells = rows.map((row) => row.map(formatCell));
  const padding = style === 'box' ? 1 : 0;
  let colWidths: (number | null)[] | undefined;
  if (width !== undefined && columns.length > 0) {
    const natural = columns.map((c, i) => Math.max(widthOf(c), ...cells.map((row) => widthOf(row[i] ?? ''))));
    const fitted = fitColumnWidths(natural, width - overhead(style, columns.length));
    if (fitted.some((w, i) => w < natural[i])) colWidths = fitted.map((w) => w + 2 * padding);
  }
  const table = new Table({
    head: columns,
    ...(colWidths ? { colWidths } : {}),
    truncate: '…',
    ...(style === 'plain' ? { chars: PLAIN_CHARS } : {}),
    style: { head: [], border: [], 'padding-left': padding, 'padding-right': padding },
  });
  for (const row of cells) table.push(row);
  const text = table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
  if (style === 'plain') return text;
  return `${text}\n(${rows.length} row${rows.length === 1 ? '' : 's'})`;
}

/** Widest line of a cell, in terminal columns. */
function widthOf(text: string): number {
  return Math.max(0, ...text.split('\n').map((line) => stringWidth(line)));
}

/** A duration as kubectl prints ages: `42s`, `5m`, `3h`, `2d` (the largest whole unit). */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}
