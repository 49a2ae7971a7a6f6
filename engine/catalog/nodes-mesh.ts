/**
 * Migration 4: the WireGuard columns of `sys_nodes` beyond `mesh_ip` and `wg_public_key` (docs/mesh.md).
 * - `wg_endpoint` — `host:port` where the node's WireGuard listens (its underlay address as the control plane
 *   saw it at join, and the mesh listen port); distinct from `endpoint`, the agent's HTTP `host:port`.
 * - `wg_next_public_key` — the staged key of a rotation under way (`infrabase mesh rotate-key`).
 * - `wg_key_activate_at` — when every side switches to the staged key, ms since the epoch; NULL until every
 *   peer acknowledged the staged key.
 */
export const nodesMeshSchema = `
ALTER TABLE sys_nodes ADD COLUMN wg_endpoint TEXT;
ALTER TABLE sys_nodes ADD COLUMN wg_next_public_key TEXT;
ALTER TABLE sys_nodes ADD COLUMN wg_key_activate_at INTEGER;
`;
