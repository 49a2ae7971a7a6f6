/**
 * Migration 6: `sys_nodes.launched_at` — when the row's current launch attempt began, ms since the epoch: the
 * `updated_at` of the write that set a new `idempotency_token` (the reconciler's clock), kept by a trigger so
 * every writer of tokens records it. A launch's join token expires a fixed time after it, so the boot data of
 * a launch stays byte-identical across retries while the token is still short-lived. Rows that already carry
 * a token take their `updated_at`.
 */
export const nodesLaunchSchema = `
ALTER TABLE sys_nodes ADD COLUMN launched_at INTEGER;
UPDATE sys_nodes SET launched_at = updated_at WHERE idempotency_token IS NOT NULL;
CREATE TRIGGER sys_nodes_launched_at AFTER UPDATE OF idempotency_token ON sys_nodes
WHEN NEW.idempotency_token IS NOT NULL AND NEW.idempotency_token IS NOT OLD.idempotency_token
BEGIN
  UPDATE sys_nodes SET launched_at = NEW.updated_at WHERE id = NEW.id;
END;
CREATE TRIGGER sys_nodes_launched_at_insert AFTER INSERT ON sys_nodes
WHEN NEW.idempotency_token IS NOT NULL
BEGIN
  UPDATE sys_nodes SET launched_at = NEW.updated_at WHERE id = NEW.id;
END;
`;
