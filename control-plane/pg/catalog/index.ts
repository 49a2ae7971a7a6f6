export { type CatalogResponder, PgCatalog } from './pg-catalog.js';
export { type CatalogContext, PG_CATALOG_HANDLER, runCatalogStatement } from './run-catalog.js';
