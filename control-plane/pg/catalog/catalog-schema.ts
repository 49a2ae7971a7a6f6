/**
 * The pg_catalog and information_schema tables the catalog database holds: the columns of Postgres 15's
 * catalogs (https://www.postgresql.org/docs/15/catalogs.html) that psql, drivers and Grafana read. Booleans
 * are declared BOOL so they travel as Postgres `bool`; arrays are JSON text.
 */
export const CATALOG_DDL = `
CREATE TABLE pg_catalog.pg_namespace(oid INTEGER PRIMARY KEY, nspname TEXT, nspowner INTEGER, nspacl TEXT);
CREATE TABLE pg_catalog.pg_class(oid INTEGER PRIMARY KEY, relname TEXT, relnamespace INTEGER, reltype INTEGER,
  reloftype INTEGER, relowner INTEGER, relam INTEGER, relfilenode INTEGER, reltablespace INTEGER, relpages INTEGER,
  reltuples REAL, reltoastrelid INTEGER, relhasindex BOOL, relisshared BOOL, relpersistence TEXT, relkind TEXT,
  relnatts INTEGER, relchecks INTEGER, relhasrules BOOL, relhastriggers BOOL, relhassubclass BOOL,
  relrowsecurity BOOL, relforcerowsecurity BOOL, relispopulated BOOL, relreplident TEXT, relispartition BOOL,
  relacl TEXT, reloptions TEXT, relpartbound TEXT);
CREATE TABLE pg_catalog.pg_attribute(attrelid INTEGER, attname TEXT, atttypid INTEGER, attlen INTEGER,
  attnum INTEGER, atttypmod INTEGER, attndims INTEGER, attnotnull BOOL, atthasdef BOOL, attidentity TEXT,
  attgenerated TEXT, attisdropped BOOL, attislocal BOOL, attinhcount INTEGER, attcollation INTEGER,
  attstattarget INTEGER, attacl TEXT, attoptions TEXT, attfdwoptions TEXT);
CREATE TABLE pg_catalog.pg_attrdef(oid INTEGER, adrelid INTEGER, adnum INTEGER, adbin TEXT);
CREATE TABLE pg_catalog.pg_type(oid INTEGER PRIMARY KEY, typname TEXT, typnamespace INTEGER, typowner INTEGER,
  typlen INTEGER, typbyval BOOL, typtype TEXT, typcategory TEXT, typisdefined BOOL, typdelim TEXT,
  typrelid INTEGER, typelem INTEGER, typarray INTEGER, typnotnull BOOL, typbasetype INTEGER, typtypmod INTEGER,
  typndims INTEGER, typcollation INTEGER, typinput TEXT, typoutput TEXT);
CREATE TABLE pg_catalog.pg_am(oid INTEGER PRIMARY KEY, amname TEXT, amhandler TEXT, amtype TEXT);
CREATE TABLE pg_catalog.pg_database(oid INTEGER PRIMARY KEY, datname TEXT, datdba INTEGER, encoding INTEGER,
  datlocprovider TEXT, datistemplate BOOL, datallowconn BOOL, datconnlimit INTEGER, dattablespace INTEGER,
  datcollate TEXT, datctype TEXT, daticulocale TEXT, datcollversion TEXT, datacl TEXT);
CREATE TABLE pg_catalog.pg_index(indexrelid INTEGER, indrelid INTEGER, indnatts INTEGER, indnkeyatts INTEGER,
  indisunique BOOL, indisprimary BOOL, indisexclusion BOOL, indimmediate BOOL, indisclustered BOOL,
  indisvalid BOOL, indcheckxmin BOOL, indisready BOOL, indislive BOOL, indisreplident BOOL, indkey TEXT,
  indexprs TEXT, indpred TEXT);
CREATE TABLE pg_catalog.pg_constraint(oid INTEGER, conname TEXT, connamespace INTEGER, contype TEXT,
  condeferrable BOOL, condeferred BOOL, convalidated BOOL, conrelid INTEGER, contypid INTEGER, conindid INTEGER,
  conparentid INTEGER, confrelid INTEGER, confupdtype TEXT, confdeltype TEXT, confmatchtype TEXT,
  conislocal BOOL, coninhcount INTEGER, connoinherit BOOL, conkey TEXT, confkey TEXT, conbin TEXT);
CREATE TABLE pg_catalog.pg_collation(oid INTEGER, collname TEXT, collnamespace INTEGER);
CREATE TABLE pg_catalog.pg_inherits(inhrelid INTEGER, inhparent INTEGER, inhseqno INTEGER, inhdetachpending BOOL);
CREATE TABLE pg_catalog.pg_trigger(oid INTEGER, tgrelid INTEGER, tgparentid INTEGER, tgname TEXT, tgfoid INTEGER,
  tgtype INTEGER, tgenabled TEXT, tgisinternal BOOL);
CREATE TABLE pg_catalog.pg_policy(oid INTEGER, polname TEXT, polrelid INTEGER, polcmd TEXT, polpermissive BOOL,
  polroles TEXT, polqual TEXT, polwithcheck TEXT);
CREATE TABLE pg_catalog.pg_publication(oid INTEGER, pubname TEXT, puballtables BOOL);
CREATE TABLE pg_catalog.pg_publication_rel(oid INTEGER, prpubid INTEGER, prrelid INTEGER, prqual TEXT,
  prattrs TEXT);
CREATE TABLE pg_catalog.pg_publication_namespace(oid INTEGER, pnpubid INTEGER, pnnspid INTEGER);
CREATE TABLE pg_catalog.pg_statistic_ext(oid INTEGER, stxrelid INTEGER, stxname TEXT, stxnamespace INTEGER,
  stxowner INTEGER, stxstattarget INTEGER, stxkeys TEXT, stxkind TEXT, stxexprs TEXT);
CREATE TABLE pg_catalog.pg_roles(oid INTEGER, rolname TEXT, rolsuper BOOL, rolinherit BOOL, rolcreaterole BOOL,
  rolcreatedb BOOL, rolcanlogin BOOL, rolreplication BOOL, rolconnlimit INTEGER, rolvaliduntil TEXT,
  rolbypassrls BOOL, rolconfig TEXT);
CREATE TABLE pg_catalog.pg_auth_members(roleid INTEGER, member INTEGER, grantor INTEGER, admin_option BOOL);
CREATE TABLE pg_catalog.pg_description(objoid INTEGER, classoid INTEGER, objsubid INTEGER, description TEXT);
CREATE TABLE pg_catalog.pg_settings(name TEXT, setting TEXT, unit TEXT, category TEXT, short_desc TEXT,
  context TEXT, vartype TEXT, source TEXT);
CREATE TABLE pg_catalog.pg_tables(schemaname TEXT, tablename TEXT, tableowner TEXT, tablespace TEXT,
  hasindexes BOOL, hasrules BOOL, hastriggers BOOL, rowsecurity BOOL);
CREATE TABLE pg_catalog.pg_views(schemaname TEXT, viewname TEXT, viewowner TEXT, definition TEXT);
CREATE VIEW pg_catalog.pg_user AS SELECT rolname AS usename, oid AS usesysid, rolcreatedb AS usecreatedb,
  rolsuper AS usesuper FROM pg_roles;
CREATE TABLE information_schema.schemata(catalog_name TEXT, schema_name TEXT, schema_owner TEXT);
CREATE TABLE information_schema.tables(table_catalog TEXT, table_schema TEXT, table_name TEXT, table_type TEXT,
  is_insertable_into TEXT);
CREATE TABLE information_schema.columns(table_catalog TEXT, table_schema TEXT, table_name TEXT,
  column_name TEXT, ordinal_position INTEGER, column_default TEXT, is_nullable TEXT, data_type TEXT,
  character_maximum_length INTEGER, numeric_precision INTEGER, udt_name TEXT, is_generated TEXT);
`;

/** The Postgres types infrabase's values map to: OID, name, format_type name, typlen, information_schema name. */
export const CATALOG_TYPES: readonly (readonly [number, string, string, number])[] = [
  [16, 'bool', 'boolean', 1],
  [17, 'bytea', 'bytea', -1],
  [19, 'name', 'name', 64],
  [20, 'int8', 'bigint', 8],
  [21, 'int2', 'smallint', 2],
  [23, 'int4', 'integer', 4],
  [25, 'text', 'text', -1],
  [26, 'oid', 'oid', 4],
  [114, 'json', 'json', -1],
  [700, 'float4', 'real', 4],
  [701, 'float8', 'double precision', 8],
  [1043, 'varchar', 'character varying', -1],
  [1114, 'timestamp', 'timestamp without time zone', 8],
  [1184, 'timestamptz', 'timestamp with time zone', 8],
  [1700, 'numeric', 'numeric', -1],
];

/** OIDs of the catalog's fixed rows. */
export const CATALOG_OID = {
  pgCatalogNamespace: 11,
  mainNamespace: 2200,
  informationSchemaNamespace: 13000,
  heapAm: 2,
  btreeAm: 403,
  database: 16383,
  adminRole: 10,
  readRole: 16382,
  /** User relations count up from here (Postgres' FirstNormalObjectId). */
  firstRelation: 16384,
} as const;
