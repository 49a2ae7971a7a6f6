/**
 * A SQL worker plug-in for the pool's tests (engine/sql-pool/worker-plugin.ts): `plugin_settings()` answers the
 * settings `configure` was given (JSON), `plugin_calls()` counts its calls, which `takeUsage` reports as
 * `{ calls }`; the handler `echo` answers its statement, mode and context. Settings `{ "refuse": true }` are
 * refused.
 */
import { InfrabaseError, type SqlWorkerPlugin } from '../../engine/index.js';

let settingsGiven: unknown;
let calls = 0;

const plugin: SqlWorkerPlugin = {
  configure(settings) {
    if ((settings as { refuse?: boolean } | undefined)?.refuse) {
      throw new InfrabaseError('INVALID_ARGUMENT', 'test plug-in settings refused');
    }
    settingsGiven = settings;
  },
  extensions: () => [
    {
      name: 'test-plugin',
      register(db) {
        db.function('plugin_settings', () => JSON.stringify(settingsGiven ?? null));
        db.function('plugin_calls', { deterministic: false }, () => ++calls);
      },
    },
  ],
  handlers: {
    echo: (_db, statement, context) => ({
      columns: ['sql', 'mode', 'context'],
      rows: [[statement.sql, statement.mode, JSON.stringify(context)]],
      changes: 0,
    }),
  },
  takeUsage() {
    const n = calls;
    calls = 0;
    return n > 0 ? { calls: n } : undefined;
  },
};

export default plugin;
