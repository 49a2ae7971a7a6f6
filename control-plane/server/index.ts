export { buildServer, type ServerOptions } from './app.js';
export { requireAdmin } from './auth-hook.js';
export { type BoundServer, bindHttpServer } from './bind.js';
export { errorHandler } from './errors.js';
export { sqlRoutes } from './routes/sql.js';
