import BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../../../engine/index.js';
import { sqliteTypeOid } from '../values.js';
import { CATALOG_DDL, CATALOG_OID, CATALOG_TYPES } from './catalog-schema.js';

/** What catalog functions read of the session running the query. */
export interface CatalogSession {
  /** The authenticated user (`admin` or `read`). */
  readonly user: string;
  /** A run-time parameter's value, undefined when unknown. */
  setting(name: string): string | undefined;
}

/** The slice of better-sqlite3 the catalog reads the control plane's schema through. */
type SchemaReader = Pick<Database, 'prepare' | 'pragma'>;

interface SchemaObject {
  readonly rowid: number;
  readonly type: 'table' | 'view' | 'index' | 'trigger';
  readonly name: string;
  readonly tbl_name: string;
  readonly sql: string | null;
}

const FORMAT_TYPE = new Map(CATALOG_TYPES.map(([oid, , formatted]) => [oid, formatted]));

/**
 * An in-memory SQLite database shaped as Postgres' pg_catalog and information_schema (attached schemas of those
 * names), filled from the control plane's schema (`sqlite_schema`, `pragma_table_xinfo`, `pragma_index_list`)
 * and refilled when SQLite's `schema_version` changes. Tables and views live in schema `main`; OIDs are
 * 16384 + the object's `sqlite_schema` rowid. The Postgres functions catalog queries call are JS functions.
 */
export class CatalogDatabase {
  readonly db: BetterSqlite3.Database;
  private schemaVersion = -1;
  private session: CatalogSession = { user: 'admin', setting: () => undefined };
  private readonly indexDefs = new Map<number, string>();
  private readonly constraintDefs = new Map<number, string>();

  constructor(
    private readonly source: SchemaReader,
    private readonly version: string,
  ) {
    this.db = new BetterSqlite3(':memory:');
    this.db.exec("ATTACH ':memory:' AS pg_catalog; ATTACH ':memory:' AS information_schema;");
    this.db.exec(CATALOG_DDL);
    this.registerFunctions();
    this.fillFixedRows();
  }

  /** Runs `fn` with the catalog current for `session` (refilled first if the control plane's schema changed). */
  with<T>(session: CatalogSession, fn: (db: BetterSqlite3.Database) => T): T {
    this.refresh();
    this.session = session;
    return fn(this.db);
  }

  private refresh(): void {
    const version = this.source.pragma('schema_version', { simple: true }) as number;
    if (version === this.schemaVersion) return;
    const objects = this.source
      .prepare(
        "SELECT rowid, type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' OR type = 'index'",
      )
      .all() as SchemaObject[];
    this.db.transaction(() => this.fillSchema(objects))();
    this.schemaVersion = version;
  }

  private fillSchema(objects: readonly SchemaObject[]): void {
    for (const table of [
      'pg_class',
      'pg_attribute',
      'pg_attrdef',
      'pg_index',
      'pg_constraint',
      'pg_tables',
      'pg_views',
    ]) {
      this.db.exec(`DELETE FROM pg_catalog.${table}`);
    }
    this.db.exec('DELETE FROM information_schema.tables; DELETE FROM information_schema.columns;');
    this.indexDefs.clear();
    this.constraintDefs.clear();
    const oidOf = new Map<string, number>();
    for (const o of objects) oidOf.set(o.name, CATALOG_OID.firstRelation + o.rowid);
    const insertClass = this.db.prepare(
      `INSERT INTO pg_catalog.pg_class(oid, relname, relnamespace, reltype, reloftype, relowner, relam, relfilenode,
         reltablespace, relpages, reltuples, reltoastrelid, relhasindex, relisshared, relpersistence, relkind,
         relnatts, relchecks, relhasrules, relhastriggers, relhassubclass, relrowsecurity, relforcerowsecurity,
         relispopulated, relreplident, relispartition)
       VALUES (?, ?, ${CATALOG_OID.mainNamespace}, 0, 0, ${CATALOG_OID.adminRole}, ?, ?, 0, 0, -1, 0, ?, 0, 'p', ?,
         ?, 0, 0, 0, 0, 0, 0, 1, 'd', 0)`,
    );
    const insertAttr = this.db.prepare(
      `INSERT INTO pg_catalog.pg_attribute(attrelid, attname, atttypid, attlen, attnum, atttypmod, attndims,
         attnotnull, atthasdef, attidentity, attgenerated, attisdropped, attislocal, attinhcount, attcollation,
         attstattarget)
       VALUES (?, ?, ?, -1, ?, -1, 0, ?, ?, '', ?, 0, 1, 0, 0, -1)`,
    );
    const insertDef = this.db.prepare(
      'INSERT INTO pg_catalog.pg_attrdef(oid, adrelid, adnum, adbin) VALUES (?, ?, ?, ?)',
    );
    const insertColumn = this.db.prepare(
      `INSERT INTO information_schema.columns VALUES ('infrabase', 'main', ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)`,
    );
    const insertIndex = this.db.prepare(
      `INSERT INTO pg_catalog.pg_index(indexrelid, indrelid, indnatts, indnkeyatts, indisunique, indisprimary,
         indisexclusion, indimmediate, indisclustered, indisvalid, indcheckxmin, indisready, indislive,
         indisreplident, indkey)
       VALUES (?, ?, ?, ?, ?, ?, 0, 1, 0, 1, 0, 1, 1, 0, ?)`,
    );
    const insertConstraint = this.db.prepare(
      `INSERT INTO pg_catalog.pg_constraint(oid, conname, connamespace, contype, condeferrable, condeferred,
         convalidated, conrelid, contypid, conindid, conparentid, confrelid, conislocal, coninhcount, connoinherit,
         conkey)
       VALUES (?, ?, ${CATALOG_OID.mainNamespace}, ?, 0, 0, 1, ?, 0, ?, 0, 0, 1, 0, 1, ?)`,
    );
    for (const o of objects) {
      if (o.type !== 'table' && o.type !== 'view') continue;
      if (o.name.startsWith('sqlite_')) continue;
      const oid = oidOf.get(o.name)!;
      const columns = this.source.prepare('SELECT * FROM pragma_table_xinfo(?)').all(o.name) as {
        cid: number;
        name: string;
        type: string;
        notnull: number;
        dflt_value: string | null;
        pk: number;
        hidden: number;
      }[];
      const indexes =
        o.type === 'table'
          ? (this.source.prepare('SELECT * FROM pragma_index_list(?)').all(o.name) as {
              name: string;
              unique: number;
              origin: string;
            }[])
          : [];
      const relkind = o.type === 'table' ? 'r' : 'v';
      insertClass.run(
        oid,
        o.name,
        o.type === 'table' ? CATALOG_OID.heapAm : 0,
        oid,
        indexes.length > 0 ? 1 : 0,
        relkind,
        columns.length,
      );
      this.db
        .prepare('INSERT INTO information_schema.tables VALUES (?, ?, ?, ?, ?)')
        .run(
          'infrabase',
          'main',
          o.name,
          o.type === 'table' ? 'BASE TABLE' : 'VIEW',
          o.type === 'table' ? 'YES' : 'NO',
        );
      if (o.type === 'view') {
        this.db.prepare("INSERT INTO pg_catalog.pg_views VALUES ('main', ?, 'admin', ?)").run(o.name, o.sql);
      } else {
        this.db
          .prepare("INSERT INTO pg_catalog.pg_tables VALUES ('main', ?, 'admin', NULL, ?, 0, 0, 0)")
          .run(o.name, indexes.length > 0 ? 1 : 0);
      }
      let attnum = 0;
      for (const c of columns) {
        if (c.hidden === 1) continue;
        attnum++;
        const typeOid = sqliteTypeOid(c.type);
        const notNull = c.notnull === 1 || (c.pk > 0 && c.type.toUpperCase() === 'INTEGER') ? 1 : 0;
        const generated = c.hidden === 2 || c.hidden === 3 ? 's' : '';
        insertAttr.run(oid, c.name, typeOid, attnum, notNull, c.dflt_value === null ? 0 : 1, generated);
        if (c.dflt_value !== null) insertDef.run(oid * 1000 + attnum, oid, attnum, c.dflt_value);
        insertColumn.run(
          o.name,
          c.name,
          attnum,
          c.dflt_value,
          notNull ? 'NO' : 'YES',
          FORMAT_TYPE.get(typeOid) ?? 'text',
          CATALOG_TYPES.find(([t]) => t === typeOid)?.[1] ?? 'text',
          generated ? 'ALWAYS' : 'NEVER',
        );
      }
      for (const index of indexes) {
        const indexOid = oidOf.get(index.name);
        if (indexOid === undefined) continue;
        const keys = this.source
          .prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno')
          .all(index.name) as {
          name: string | null;
        }[];
        const names = keys.map((k) => `"${k.name ?? '<expression>'}"`).join(', ');
        const attnums = keys.map(
          (k) => 1 + columns.filter((c) => c.hidden !== 1).findIndex((c) => c.name === k.name),
        );
        insertClass.run(indexOid, index.name, CATALOG_OID.btreeAm, indexOid, 0, 'i', keys.length);
        insertIndex.run(
          indexOid,
          oid,
          keys.length,
          keys.length,
          index.unique,
          index.origin === 'pk' ? 1 : 0,
          attnums.join(' '),
        );
        this.indexDefs.set(
          indexOid,
          `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX "${index.name}" ON main."${o.name}" USING btree (${names})`,
        );
        if (index.origin === 'pk' || index.origin === 'u') {
          const contype = index.origin === 'pk' ? 'p' : 'u';
          const conOid = indexOid + 1_000_000;
          insertConstraint.run(conOid, index.name, contype, oid, indexOid, JSON.stringify(attnums));
          this.constraintDefs.set(conOid, `${contype === 'p' ? 'PRIMARY KEY' : 'UNIQUE'} (${names})`);
        }
      }
    }
  }

  private fillFixedRows(): void {
    const ns = this.db.prepare('INSERT INTO pg_catalog.pg_namespace VALUES (?, ?, ?, NULL)');
    ns.run(CATALOG_OID.pgCatalogNamespace, 'pg_catalog', CATALOG_OID.adminRole);
    ns.run(CATALOG_OID.mainNamespace, 'main', CATALOG_OID.adminRole);
    ns.run(CATALOG_OID.informationSchemaNamespace, 'information_schema', CATALOG_OID.adminRole);
    const schemata = this.db.prepare(
      "INSERT INTO information_schema.schemata VALUES ('infrabase', ?, 'admin')",
    );
    for (const name of ['pg_catalog', 'main', 'information_schema']) schemata.run(name);
    const type = this.db.prepare(
      `INSERT INTO pg_catalog.pg_type(oid, typname, typnamespace, typowner, typlen, typbyval, typtype, typcategory,
         typisdefined, typdelim, typrelid, typelem, typarray, typnotnull, typbasetype, typtypmod, typndims,
         typcollation)
       VALUES (?, ?, ${CATALOG_OID.pgCatalogNamespace}, ${CATALOG_OID.adminRole}, ?, ?, 'b', 'U', 1, ',', 0, 0, 0, 0,
         0, -1, 0, 0)`,
    );
    for (const [oid, name, , length] of CATALOG_TYPES)
      type.run(oid, name, length, length > 0 && length <= 8 ? 1 : 0);
    this.db.exec(`
      INSERT INTO pg_catalog.pg_am VALUES (${CATALOG_OID.heapAm}, 'heap', 'heap_tableam_handler', 't'),
        (${CATALOG_OID.btreeAm}, 'btree', 'bthandler', 'i');
      INSERT INTO pg_catalog.pg_database VALUES (${CATALOG_OID.database}, 'infrabase', ${CATALOG_OID.adminRole}, 6, 'c',
        0, 1, -1, 1663, 'C', 'C', NULL, NULL, NULL);
      INSERT INTO pg_catalog.pg_roles VALUES (${CATALOG_OID.adminRole}, 'admin', 0, 1, 0, 0, 1, 0, -1, NULL, 0, NULL),
        (${CATALOG_OID.readRole}, 'read', 0, 1, 0, 0, 1, 0, -1, NULL, 0, NULL);
    `);
  }

  private registerFunctions(): void {
    const db = this.db;
    const fn = (name: string, impl: (...args: never[]) => unknown) =>
      db.function(name, { varargs: true, deterministic: false }, impl as (...args: unknown[]) => unknown);
    const jsonArray = (v: unknown): unknown[] | null => {
      if (v === null || v === undefined) return null;
      try {
        const parsed = JSON.parse(String(v));
        return Array.isArray(parsed) ? parsed : null;
      } catch {
        return null;
      }
    };
    fn('pg_regex_match', (text: unknown, pattern: unknown, insensitive: unknown) =>
      text === null || pattern === null
        ? null
        : new RegExp(String(pattern), insensitive ? 'i' : '').test(String(text))
          ? 1
          : 0,
    );
    fn('pg_session_user', () => this.session.user);
    fn('current_setting', (name: unknown) => this.session.setting(String(name)) ?? null);
    fn('version', () => this.version);
    fn('current_database', () => 'infrabase');
    fn('current_schema', () => 'main');
    fn('current_schemas', () => JSON.stringify(['main']));
    fn('pg_backend_pid', () => 0);
    fn('pg_is_in_recovery', () => 0);
    fn('pg_postmaster_start_time', () => null);
    fn('pg_table_is_visible', () => 1);
    fn('pg_type_is_visible', () => 1);
    fn('pg_function_is_visible', () => 1);
    fn('pg_relation_is_publishable', () => 0);
    fn('has_table_privilege', () => 1);
    fn('has_schema_privilege', () => 1);
    fn('has_database_privilege', () => 1);
    fn('pg_get_userbyid', (oid: unknown) => (Number(oid) === CATALOG_OID.readRole ? 'read' : 'admin'));
    fn('pg_encoding_to_char', () => 'UTF8');
    fn('format_type', (oid: unknown) => (oid === null ? null : (FORMAT_TYPE.get(Number(oid)) ?? '???')));
    fn('pg_get_expr', (expr: unknown) => expr ?? null);
    fn('pg_get_indexdef', (oid: unknown) => this.indexDefs.get(Number(oid)) ?? null);
    fn('pg_get_constraintdef', (oid: unknown) => this.constraintDefs.get(Number(oid)) ?? null);
    fn('pg_get_triggerdef', () => null);
    fn('pg_get_viewdef', () => null);
    fn('pg_get_statisticsobjdef_columns', () => null);
    fn('obj_description', () => null);
    fn('col_description', () => null);
    fn('shobj_description', () => null);
    fn('pg_relation_size', () => 0);
    fn('pg_table_size', () => 0);
    fn('pg_total_relation_size', () => 0);
    fn('pg_database_size', () => 0);
    fn('pg_size_pretty', (n: unknown) => `${Number(n)} bytes`);
    fn('quote_ident', (name: unknown) => {
      if (name === null) return null;
      const s = String(name);
      return /^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replaceAll('"', '""')}"`;
    });
    fn('array_to_string', (arr: unknown, sep: unknown, nullText: unknown) => {
      const a = jsonArray(arr);
      if (a === null) return null;
      return a
        .filter((v) => v !== null || nullText !== undefined)
        .map((v) => (v === null ? String(nullText) : String(v)))
        .join(String(sep));
    });
    fn('string_to_array', (text: unknown, sep: unknown) =>
      text === null ? null : JSON.stringify(String(text).split(String(sep))),
    );
    fn('array_lower', (arr: unknown) => ((jsonArray(arr)?.length ?? 0) > 0 ? 1 : null));
    fn('array_upper', (arr: unknown) => {
      const n = jsonArray(arr)?.length ?? 0;
      return n > 0 ? n : null;
    });
    fn('array_length', (arr: unknown) => {
      const n = jsonArray(arr)?.length ?? 0;
      return n > 0 ? n : null;
    });
    db.table('pg_generate_series', {
      columns: ['value'],
      parameters: ['start', 'stop', 'step'],
      *rows(start: unknown, stop: unknown, step: unknown) {
        if (start === null || stop === null) return;
        const by = step === null || step === undefined ? 1 : Number(step);
        if (by === 0) return;
        for (let v = Number(start); by > 0 ? v <= Number(stop) : v >= Number(stop); v += by) {
          yield [Number.isInteger(v) ? BigInt(v) : v];
        }
      },
    });
  }
}
