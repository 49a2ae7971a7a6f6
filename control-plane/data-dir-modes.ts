import { chmodSync, closeSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InfrabaseError } from '../engine/index.js';

/**
 * Forces the data dir to mode 0700 and the database file with its companions (`<dbFile>-wal`, `-shm`,
 * `-journal`) to 0600, whatever modes they had. A missing database file is created empty with 0600 first:
 * SQLite opens an empty file as a new database and gives the `-wal` and `-shm` files it creates later the
 * database file's mode.
 * @throws InfrabaseError `PERMISSION_DENIED` when a mode cannot be changed (e.g. files of another user).
 */
export function secureDataDir(dataDir: string, dbFile: string): void {
  const set = (path: string, mode: number) => {
    try {
      chmodSync(path, mode);
    } catch (err) {
      throw new InfrabaseError(
        'PERMISSION_DENIED',
        `cannot set mode ${mode.toString(8)} on ${path}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  };
  set(dataDir, 0o700);
  closeSync(openSync(join(dataDir, dbFile), 'a', 0o600));
  for (const name of readdirSync(dataDir)) {
    if (name === dbFile || name.startsWith(`${dbFile}-`)) set(join(dataDir, name), 0o600);
  }
}
