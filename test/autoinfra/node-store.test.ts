import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NodeRow, NodeStore } from '../../autoinfra/index.js';
import { type Database, openDatabase } from '../../engine/index.js';

const T0 = Date.UTC(2030, 0, 1);
const LAUNCH = 'n-1-1-0';

let db: Database;
let store: NodeStore;
const row = () => store.get('n-1') as NodeRow;

beforeEach(() => {
  db = openDatabase(':memory:', { migrate: true });
  store = new NodeStore(db);
  db.prepare("INSERT INTO sys_nodes (id, provider) VALUES ('n-1', 'aws')").run();
  expect(store.recordLaunch('n-1', LAUNCH, 1, 'launching', T0)).toBe(true);
  db.prepare("UPDATE sys_nodes SET private_ip = '10.0.0.5' WHERE id = 'n-1'").run();
  store.recordInstance(
    'n-1',
    LAUNCH,
    { id: 'i-1', privateIp: '10.0.0.5' },
    null,
    { status: 'booting', reason: 'instance i-1 running; waiting for the first heartbeat' },
    T0,
  );
});

afterEach(() => db.close());

describe('NodeStore transitions', () => {
  it('recordLaunch is compare-and-set on a row without a token: a second launch changes nothing', () => {
    expect(store.recordLaunch('n-1', 'n-1-2-0', 2, 'again', T0 + 1)).toBe(false);
    expect(row()).toMatchObject({ idempotency_token: LAUNCH, attempts: 1, status: 'booting' });
  });

  it('a heartbeat turns booting ready by the status rule and records the endpoint among known addresses', () => {
    expect(
      store.recordJoin({ id: 'n-1', launch: LAUNCH, rejoin: false, endpoint: '6.6.6.6:9000', now: T0 + 10 }),
    ).toBe(true);
    expect(row()).toMatchObject({ agent_port: 9000, endpoint: '10.0.0.5:9000' });
    expect(store.recordHeartbeat('n-1', LAUNCH, undefined, T0 + 20)).toEqual({
      change: { status: 'ready', reason: 'heartbeat received' },
    });
    expect(row()).toMatchObject({
      status: 'ready',
      status_reason: 'heartbeat received',
      last_heartbeat_at: T0 + 20,
      updated_at: T0 + 20,
    });
    // A ready row keeps its status, reason and updated_at on later heartbeats.
    expect(store.recordHeartbeat('n-1', LAUNCH, undefined, T0 + 30)).toEqual({ change: null });
    expect(row()).toMatchObject({ status: 'ready', last_heartbeat_at: T0 + 30, updated_at: T0 + 20 });
  });

  it('a heartbeat whose work in the same transaction throws records nothing', () => {
    expect(() =>
      store.recordHeartbeat('n-1', LAUNCH, undefined, T0 + 20, () => {
        throw new Error('bad sample');
      }),
    ).toThrow('bad sample');
    expect(row()).toMatchObject({ status: 'booting', last_heartbeat_at: null, updated_at: T0 });
  });

  it('a heartbeat or join of another launch changes nothing', () => {
    expect(store.recordHeartbeat('n-1', 'n-1-9-0', undefined, T0 + 20)).toBe(false);
    expect(
      store.recordJoin({ id: 'n-1', launch: 'n-1-9-0', rejoin: true, endpoint: '10.0.0.5:9000', now: T0 }),
    ).toBe(false);
    expect(row()).toMatchObject({ status: 'booting', last_heartbeat_at: null, agent_port: null });
  });

  it('finalize records terminated with its reason, then removes the row', () => {
    const seen: string[] = [];
    db.function('seen', (s: string) => {
      seen.push(s);
      return null;
    });
    db.exec(
      "CREATE TEMP TRIGGER t AFTER UPDATE OF status ON sys_nodes BEGIN SELECT seen(NEW.status || ': ' || NEW.status_reason); END",
    );
    expect(store.finalize(row(), 'terminated i-1', T0 + 50)).toBe(true);
    expect(seen).toEqual(['terminated: terminated i-1']);
    expect(store.get('n-1')).toBeUndefined();
  });
});
