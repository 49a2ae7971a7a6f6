import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs (pino), one line per event, to stderr so command output on stdout stays clean
 * (`destination` replaces stderr, e.g. in tests). Never log tokens, keys or credentials: the `redact` paths
 * below are a second guard, not the first.
 */
export function createLogger(level: string, name = 'infrabase', destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      redact: {
        paths: [
          'token',
          '*.token',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'privateKey',
          '*.privateKey',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
