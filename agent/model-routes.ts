import type { FastifyPluginAsync } from 'fastify';
import { InfrabaseError } from '../engine/index.js';
import { AGENT_BODY_LIMIT, type AgentRouteOptions, checkControlToken } from './shard-routes.js';

/** One model version as the control plane pushes it to a shard. */
export interface ShardModel {
  name: string;
  version: number;
  sha256: string;
  /** The ONNX bytes, base64. */
  onnx: string;
  featureNames: string[] | null;
  status: string;
}

/**
 * Copies of `sys_models` rows on the node, so `PREDICT` runs on the shard where the rows are (the shard
 * database carries the catalog's `sys_models` and the ml extension). For the control plane only:
 * - `GET /v1/shard/models` → `{ models: [{ name, version, sha256 }] }`;
 * - `PUT /v1/shard/models` {@link ShardModel} → `{ stored: true }`: replaces the node's copy of that version
 *   (validated by the same insert triggers as on the control plane).
 */
export function modelRoutes(options: AgentRouteOptions): FastifyPluginAsync {
  const { shard } = options;
  return async (app) => {
    app.get('/v1/shard/models', async (req) => {
      checkControlToken(req, options.controlToken);
      return {
        models: shard.prepare('SELECT name, version, sha256 FROM sys_models ORDER BY name, version').all(),
      };
    });
    app.put('/v1/shard/models', { bodyLimit: AGENT_BODY_LIMIT }, async (req) => {
      checkControlToken(req, options.controlToken);
      const m = req.body as Partial<ShardModel> | undefined;
      if (!m || typeof m.name !== 'string' || !Number.isInteger(m.version) || typeof m.onnx !== 'string') {
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          'body must be {name, version, sha256, onnx (base64), featureNames, status}',
        );
      }
      shard.transaction(() => {
        shard.prepare('DELETE FROM sys_models WHERE name = ? AND version = ?').run(m.name, m.version);
        shard
          .prepare(
            "INSERT INTO sys_models (name, version, onnx, feature_names, status, created_by) VALUES (?, ?, ?, ?, ?, 'control-plane')",
          )
          .run(
            m.name,
            m.version,
            Buffer.from(m.onnx!, 'base64'),
            m.featureNames ? JSON.stringify(m.featureNames) : null,
            m.status ?? 'active',
          );
      })();
      return { stored: true };
    });
  };
}
