import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File, in a node's data dir, describing the local "instance": the launch that owns the dir. */
export const INSTANCE_FILE = 'instance.json';

/** What the local provider records about a launch. Times in ms since the epoch. */
export interface InstanceRecord {
  readonly instanceId: string;
  readonly token: string;
  readonly nodeId: string;
  readonly clusterId: string;
  readonly createdAt: number;
  readonly state: 'running' | 'terminated';
}

export function readInstanceRecord(dir: string): InstanceRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, INSTANCE_FILE), 'utf8')) as InstanceRecord;
  } catch {
    return undefined;
  }
}

/** Writes the record atomically (temp file + rename), so a crash never leaves half a record. */
export function writeInstanceRecord(dir: string, record: InstanceRecord): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${INSTANCE_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(record));
  renameSync(tmp, join(dir, INSTANCE_FILE));
}

/** Every node dir under `nodesDir` that holds a record, with it. */
export function scanInstanceRecords(nodesDir: string): { dir: string; record: InstanceRecord }[] {
  let names: string[];
  try {
    names = readdirSync(nodesDir);
  } catch {
    return [];
  }
  const out: { dir: string; record: InstanceRecord }[] = [];
  for (const name of names) {
    const dir = join(nodesDir, name);
    const record = readInstanceRecord(dir);
    if (record) out.push({ dir, record });
  }
  return out;
}
