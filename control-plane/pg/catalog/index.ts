export { type CatalogResponder, PgCatalog } from './pg-catalog.js';
export { type CatalogContext, runCatalogStatement } from './run-catalog.js';
