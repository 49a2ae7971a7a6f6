import { SQL_NOW_MS } from '../now.js';

/** Values accepted by the CHECK constraints of `sys_nodes`; also used to validate input in code. */
export const NODE_PROVIDERS = ['local', 'aws', 'gcp'] as const;
export const NODE_ROLES = ['data', 'compute'] as const;
export const NODE_DESIRED_STATES = ['running', 'terminated'] as const;
export const NODE_STATUSES = [
  'pending',
  'provisioning',
  'booting',
  'ready',
  'unreachable',
  'terminating',
  'terminated',
  'failed',
] as const;

/** The desired columns of `sys_nodes` that describe the machine: all user-written columns but `desired_state`. */
export const NODE_SPEC_COLUMNS = [
  'provider',
  'region',
  'zone',
  'instance_type',
  'image',
  'role',
  'labels',
  'spec',
] as const;

export type NodeProvider = (typeof NODE_PROVIDERS)[number];
export type NodeRole = (typeof NODE_ROLES)[number];
export type NodeDesiredState = (typeof NODE_DESIRED_STATES)[number];
export type NodeStatus = (typeof NODE_STATUSES)[number];

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
const words = (values: readonly string[]) => values.join(', ');

/**
 * `sys_nodes`: one row per machine that should exist (desired columns, written by users and policies) and
 * what the reconciler observed (observed columns). Named CHECK constraints make SQLite's message name the
 * column and the accepted values. DELETE is a finalizer: a live row is only marked
 * `desired_state='terminated'`; the reconciler deletes it once its machine is gone. A row that never reached
 * a cloud call (no idempotency token) is deleted at once.
 */
export const nodesSchema = `
CREATE TABLE sys_nodes (
  id TEXT PRIMARY KEY NOT NULL DEFAULT ('n-' || lower(hex(randomblob(6))))
    CONSTRAINT "sys_nodes.id must be 1-63 characters of a-z, 0-9 and '-'"
    CHECK (length(id) BETWEEN 1 AND 63 AND id NOT GLOB '*[^a-z0-9-]*'),
  provider TEXT NOT NULL DEFAULT 'local'
    CONSTRAINT "sys_nodes.provider must be one of: ${words(NODE_PROVIDERS)}" CHECK (provider IN (${list(NODE_PROVIDERS)})),
  region TEXT,
  zone TEXT,
  instance_type TEXT,
  image TEXT,
  role TEXT NOT NULL DEFAULT 'data'
    CONSTRAINT "sys_nodes.role must be one of: ${words(NODE_ROLES)}" CHECK (role IN (${list(NODE_ROLES)})),
  labels TEXT NOT NULL DEFAULT '{}'
    CONSTRAINT "sys_nodes.labels must be a JSON object" CHECK (json_valid(labels) AND json_type(labels) = 'object'),
  spec TEXT NOT NULL DEFAULT '{}'
    CONSTRAINT "sys_nodes.spec must be a JSON object" CHECK (json_valid(spec) AND json_type(spec) = 'object'),
  desired_state TEXT NOT NULL DEFAULT 'running'
    CONSTRAINT "sys_nodes.desired_state must be one of: ${words(NODE_DESIRED_STATES)}"
    CHECK (desired_state IN (${list(NODE_DESIRED_STATES)})),
  status TEXT NOT NULL DEFAULT 'pending'
    CONSTRAINT "sys_nodes.status must be one of: ${words(NODE_STATUSES)}" CHECK (status IN (${list(NODE_STATUSES)})),
  status_reason TEXT,
  instance_id TEXT,
  idempotency_token TEXT,
  private_ip TEXT,
  public_ip TEXT,
  mesh_ip TEXT,
  wg_public_key TEXT,
  endpoint TEXT,
  last_heartbeat_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL DEFAULT 'user'
    CONSTRAINT "sys_nodes.created_by must be 'user' or 'policy:<name>'"
    CHECK (created_by = 'user' OR created_by GLOB 'policy:?*'),
  created_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS}),
  updated_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS})
) STRICT;

CREATE UNIQUE INDEX sys_nodes_idempotency_token ON sys_nodes(idempotency_token) WHERE idempotency_token IS NOT NULL;
CREATE UNIQUE INDEX sys_nodes_mesh_ip ON sys_nodes(mesh_ip) WHERE mesh_ip IS NOT NULL;
CREATE INDEX sys_nodes_status ON sys_nodes(status);

CREATE TRIGGER sys_nodes_finalizer BEFORE DELETE ON sys_nodes
WHEN OLD.status <> 'terminated' AND OLD.idempotency_token IS NOT NULL
BEGIN
  UPDATE sys_nodes SET desired_state = 'terminated', updated_at = ${SQL_NOW_MS}
    WHERE id = OLD.id AND desired_state <> 'terminated';
  SELECT RAISE(IGNORE);
END;
`;
