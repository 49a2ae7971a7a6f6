import type { Database } from 'better-sqlite3';

/**
 * One model version as the control plane pushes it to a data node (`PUT /v1/shard/models`), so `PREDICT`
 * runs on the shard where the rows are.
 */
export interface ShardModel {
  name: string;
  version: number;
  sha256: string;
  /** The ONNX bytes, base64. */
  onnx: string;
  featureNames: string[] | null;
  status: string;
}

/** The model versions a database holds, by name then version (`sys_models`: name, version, sha256). */
export function modelVersions(db: Database): { name: string; version: number; sha256: string }[] {
  return db.prepare('SELECT name, version, sha256 FROM sys_models ORDER BY name, version').all() as {
    name: string;
    version: number;
    sha256: string;
  }[];
}

/**
 * `storeModelCopy`: replaces the database's copy of that model version with `m` (created by
 * `control-plane`), in one transaction. The row is checked by the same `sys_models` insert triggers as on
 * the control plane (registered on the node's shard database), which fill sha256, opset, inputs and outputs.
 * @throws SqliteError for bytes or a name the triggers and constraints refuse (nothing changes).
 */
export function storeModelCopy(db: Database, m: ShardModel): void {
  db.transaction(() => {
    db.prepare('DELETE FROM sys_models WHERE name = ? AND version = ?').run(m.name, m.version);
    db.prepare(
      "INSERT INTO sys_models (name, version, onnx, feature_names, status, created_by) VALUES (?, ?, ?, ?, ?, 'control-plane')",
    ).run(
      m.name,
      m.version,
      Buffer.from(m.onnx, 'base64'),
      m.featureNames ? JSON.stringify(m.featureNames) : null,
      m.status ?? 'active',
    );
  })();
}
