import type { FastifyPluginAsync } from 'fastify';
import { InfrabaseError } from '../engine/index.js';
import { modelVersions, type ShardModel, storeModelCopy } from '../ml/index.js';
import { AGENT_BODY_LIMIT, type AgentRouteOptions, checkControlToken } from './shard-routes.js';

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
      return { models: modelVersions(shard) };
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
      storeModelCopy(shard, m as ShardModel);
      return { stored: true };
    });
  };
}
