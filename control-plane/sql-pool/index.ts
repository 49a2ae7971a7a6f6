export {
  SqlPool,
  type SqlPoolOptions,
  type SqlRequest,
  type StatementTimeouts,
  statementTimeout,
} from './pool.js';
