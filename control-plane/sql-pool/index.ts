export { SqlPool, type SqlPoolOptions, type SqlRequest } from './pool.js';
