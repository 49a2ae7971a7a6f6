import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File in the control plane's data dir naming the cluster (the value of the `infrabase-cluster` tag). */
export const CLUSTER_ID_FILE = 'cluster-id';

/**
 * The cluster id of the control plane whose data dir is `dataDir`: `ib-` + 12 hex, created on first use and
 * kept, so a restarted control plane recognises (adopts) the instances it launched before.
 */
export function clusterIdOf(dataDir: string): string {
  const path = join(dataDir, CLUSTER_ID_FILE);
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (/^[a-z0-9-]{1,63}$/.test(id)) return id;
  } catch {
    /* created below */
  }
  mkdirSync(dataDir, { recursive: true });
  const id = `ib-${randomBytes(6).toString('hex')}`;
  try {
    writeFileSync(path, id, { flag: 'wx' });
    return id;
  } catch {
    return readFileSync(path, 'utf8').trim();
  }
}
