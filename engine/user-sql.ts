/** Name of the function registered only on connections that run user SQL (see {@link USER_SQL_CONDITION}). */
export const USER_SQL_MARKER = 'infrabase_user_sql';

/**
 * SQL condition true on connections that run user SQL (SQL workers): the marker function exists there and on
 * no other connection (the control plane's own, agents, tools, the sqlite3 shell). Catalog triggers use it to
 * refuse user writes to observed columns (migration 7). Only the process opening a connection can register a
 * function, so no SQL statement can make this condition false.
 */
export const USER_SQL_CONDITION = `EXISTS (SELECT 1 FROM pragma_function_list WHERE name = '${USER_SQL_MARKER}')`;
