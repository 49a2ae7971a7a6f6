import { describe, expect, it } from 'vitest';
import { type NodeStatusChange, type NodeStatusEvent, nextNodeStatus } from '../../autoinfra/index.js';
import type { NodeStatus } from '../../engine/index.js';

const NOW = 1_000_000;
const TIMEOUT = 10_000;
const instance = { id: 'i-1', state: 'running' };
const heartbeat: NodeStatusEvent = { kind: 'heartbeat' };
const launched: NodeStatusEvent = { kind: 'launched', instance };
const observed: NodeStatusEvent = { kind: 'observed', instance };
/** A heartbeat within the timeout, one exactly at it (stale), and none ever. */
const FRESH = NOW - (TIMEOUT - 1);
const STALE = NOW - TIMEOUT;

const cases: [string, NodeStatus, number | null, NodeStatusEvent, NodeStatusChange | null][] = [
  // the heartbeat route
  [
    'heartbeat: booting → ready',
    'booting',
    NOW,
    heartbeat,
    { status: 'ready', reason: 'heartbeat received' },
  ],
  [
    'heartbeat: unreachable → ready',
    'unreachable',
    NOW,
    heartbeat,
    { status: 'ready', reason: 'heartbeat received' },
  ],
  ['heartbeat: ready stays', 'ready', NOW, heartbeat, null],
  ['heartbeat: provisioning waits for its instance', 'provisioning', NOW, heartbeat, null],
  ['heartbeat: terminating stays', 'terminating', NOW, heartbeat, null],
  ['heartbeat: failed stays', 'failed', NOW, heartbeat, null],
  // the reconciler recording a created instance
  [
    'launched with a fresh heartbeat → ready',
    'provisioning',
    FRESH,
    launched,
    { status: 'ready', reason: 'instance i-1 running' },
  ],
  [
    'launched without a heartbeat → booting',
    'provisioning',
    null,
    launched,
    { status: 'booting', reason: 'instance i-1 running; waiting for the first heartbeat' },
  ],
  [
    'launched with a stale heartbeat → booting',
    'provisioning',
    STALE,
    launched,
    { status: 'booting', reason: 'instance i-1 running; waiting for the first heartbeat' },
  ],
  // the reconciler observing a live instance
  ['observed: ready, fresh → stays', 'ready', FRESH, observed, null],
  [
    'observed: ready, stale → unreachable',
    'ready',
    STALE,
    observed,
    { status: 'unreachable', reason: `no heartbeat for ${TIMEOUT} ms (timeout ${TIMEOUT} ms)` },
  ],
  [
    'observed: ready, never → unreachable',
    'ready',
    null,
    observed,
    { status: 'unreachable', reason: `no heartbeat for ever (timeout ${TIMEOUT} ms)` },
  ],
  [
    'observed: unreachable, fresh → ready',
    'unreachable',
    FRESH,
    observed,
    { status: 'ready', reason: 'heartbeat resumed' },
  ],
  ['observed: unreachable, stale → stays', 'unreachable', STALE, observed, null],
  [
    'observed: booting, fresh → ready',
    'booting',
    FRESH,
    observed,
    { status: 'ready', reason: 'heartbeat received' },
  ],
  [
    'observed: booting, none → booting, reason from the instance',
    'booting',
    null,
    observed,
    { status: 'booting', reason: 'instance i-1 running; waiting for the first heartbeat' },
  ],
  [
    'observed: provisioning, none → booting',
    'provisioning',
    null,
    observed,
    { status: 'booting', reason: 'instance i-1 running; waiting for the first heartbeat' },
  ],
  [
    'observed: pending, fresh → ready',
    'pending',
    FRESH,
    observed,
    { status: 'ready', reason: 'heartbeat received' },
  ],
];

describe('nextNodeStatus (the one node-status rule of the heartbeat route and the reconciler)', () => {
  it.each(cases)('%s', (_name, status, lastHeartbeatAt, event, want) => {
    expect(nextNodeStatus({ status, lastHeartbeatAt, now: NOW, heartbeatTimeoutMs: TIMEOUT, event })).toEqual(
      want,
    );
  });
});
