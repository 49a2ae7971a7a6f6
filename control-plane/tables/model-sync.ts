import type { Database } from '../../engine/index.js';
import { predictModelNames, type ShardModel } from '../../ml/index.js';
import type { AgentClient, DataNode } from '../training/index.js';

/**
 * The model names a statement scores with: the first argument of each `PREDICT`, `PREDICT_PROBA` or
 * `PREDICT_JSON` call when it is a string literal (`'name'` or `'name@version'`), as the SQL parser reads it.
 */
export function referencedModels(sql: string): string[] {
  return predictModelNames(sql);
}

/**
 * Makes the node's copies of the named models match `sys_models` (every version), pushing only the versions
 * it lacks or holds with another sha256. Models travel to the rows; rows never travel.
 * @throws InfrabaseError from the agent (e.g. `UNAVAILABLE`, `TIMEOUT`).
 */
export async function syncModels(
  db: Database,
  agents: AgentClient,
  node: DataNode,
  names: readonly string[],
  timeoutMs: number,
): Promise<number> {
  if (names.length === 0) return 0;
  const { models } = await agents.get<{ models: { name: string; version: number; sha256: string }[] }>(
    node,
    '/v1/shard/models',
    timeoutMs,
  );
  const held = new Set(models.map((m) => `${m.name}@${m.version}:${m.sha256}`));
  const rows = db
    .prepare(
      `SELECT name, version, sha256, onnx, feature_names, status FROM sys_models
        WHERE name IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(names)) as {
    name: string;
    version: number;
    sha256: string;
    onnx: Buffer;
    feature_names: string | null;
    status: string;
  }[];
  let pushed = 0;
  for (const r of rows) {
    if (held.has(`${r.name}@${r.version}:${r.sha256}`)) continue;
    const body: ShardModel = {
      name: r.name,
      version: r.version,
      sha256: r.sha256,
      onnx: r.onnx.toString('base64'),
      featureNames: r.feature_names ? JSON.parse(r.feature_names) : null,
      status: r.status,
    };
    await agents.put(node, '/v1/shard/models', body, timeoutMs);
    pushed++;
  }
  return pushed;
}
