import { createHash } from 'node:crypto';
import { InfrabaseError } from '../../../engine/index.js';

/** The fixed namespace of infrabase's name-based request ids (RFC 4122 §4.3). */
export const REQUEST_ID_NAMESPACE = '6f1c2a9e-3b7d-4c55-9a0e-8d2f4b1c7e30';

/**
 * A name-based UUID, version 5 (RFC 4122 §4.3: SHA-1 of namespace bytes ‖ name, version and variant bits
 * set): the same `name` always gives the same UUID, so a GCE `requestId` derived from an idempotency token
 * survives a restart.
 *
 * @example
 * requestIdFor('n-1a2b/1') // '…-5…-[89ab]…' — same input, same id
 */
export function requestIdFor(name: string, namespace = REQUEST_ID_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const b = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const NODE_ID = /^[a-z0-9-]{1,63}$/;

/**
 * The GCE instance name of a node launched with `token`: `ib-<node id, ≤50 chars>-<8 hex of SHA-256(token)>`,
 * always matching `[a-z]([-a-z0-9]{0,61}[a-z0-9])?`. A create repeated with the same token targets the same
 * name (so a lost reply ends in `alreadyExists` on our own instance); a new token gives a new name.
 * @throws InfrabaseError `INVALID_SPEC` when the node id is not 1–63 characters of a-z, 0-9 and '-'.
 */
export function instanceNameFor(nodeId: string, token: string): string {
  if (!NODE_ID.test(nodeId)) {
    throw new InfrabaseError(
      'INVALID_SPEC',
      `node id '${nodeId}' is not usable on GCE: 1-63 characters of a-z, 0-9, -`,
    );
  }
  const stem = nodeId.slice(0, 50).replace(/-+$/, '');
  const suffix = createHash('sha256').update(token).digest('hex').slice(0, 8);
  return stem ? `ib-${stem}-${suffix}` : `ib-${suffix}`;
}

/** infrabase's instance id for a GCE instance: `<zone>/<name>`. */
export function instanceIdOf(zone: string, name: string): string {
  return `${zone}/${name}`;
}

/**
 * Splits `<zone>/<name>`.
 * @throws InfrabaseError `NOT_FOUND` for an id of another shape (no such instance can exist).
 */
export function parseInstanceId(instanceId: string): { zone: string; name: string } {
  const m = /^([a-z]+-[a-z]+\d+-[a-z])\/([a-z]([-a-z0-9]{0,61}[a-z0-9])?)$/.exec(instanceId);
  if (!m) {
    throw new InfrabaseError(
      'NOT_FOUND',
      `'${instanceId}' is not a GCE instance id of the form <zone>/<name>`,
      {
        details: { instanceId },
      },
    );
  }
  return { zone: m[1], name: m[2] };
}
