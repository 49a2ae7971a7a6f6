import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The cluster's id, generated on first start and kept in `<dataDir>/cluster-id`: `ib-` and 10 hex digits,
 * valid as an EC2 tag value and a GCE label value. Instances are tagged with it so the orphan collector only
 * ever touches this cluster's machines.
 */
export function ensureClusterId(dataDir: string): string {
  const path = join(dataDir, 'cluster-id');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const id = `ib-${randomBytes(5).toString('hex')}`;
  writeFileSync(path, `${id}\n`, { flag: 'wx' });
  return id;
}
