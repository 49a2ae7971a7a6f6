export { PgCatalog } from './pg-catalog.js';
