import { createErrorHandler } from '../../engine/index.js';

/** The control plane's error handler: internal faults are logged with the request's pino logger. */
export const errorHandler = createErrorHandler(
  (err, request) => request.log.error({ err }, 'unhandled error'),
  'the control plane log',
);
