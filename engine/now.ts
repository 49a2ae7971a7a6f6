/** Milliseconds since the epoch as SQLite computes it; portable to SQLite 3.38+ (no `unixepoch('subsec')`). */
export const SQL_NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
