import { InstancesClient, ZoneOperationsClient } from '@google-cloud/compute';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GcpProvider,
  type GcpProviderConfig,
  instanceNameFor,
  requestIdFor,
} from '../../../autoinfra/providers/gcp/index.js';
import { isInfrabaseError } from '../../../engine/index.js';
import { FakeComputeServer, fakeGoogleAuthClient } from '../../fakes/index.js';
import { waitFor } from '../../support/tmp.js';
import { caught, nodeSpecFor, callSignal as signal } from '../support/provider-test-kit.js';

const CONFIG: GcpProviderConfig = {
  project: 'infrabase-test',
  zone: 'us-central1-a',
  machineType: 'e2-small',
  image: 'projects/debian-cloud/global/images/family/debian-12',
  network: 'global/networks/default',
};

const spec = nodeSpecFor('gcp', '#!/bin/sh\nexec infrabase agent\n');

describe('GcpProvider against the Compute test server', () => {
  let gce: FakeComputeServer;
  let providers: GcpProvider[];

  const provider = (clusterId = 'c1') => {
    const opts = {
      apiEndpoint: '127.0.0.1',
      port: gce.port,
      protocol: 'http',
      authClient: fakeGoogleAuthClient() as never,
    };
    const p = new GcpProvider(CONFIG, clusterId, {
      clients: { instances: new InstancesClient(opts), zoneOperations: new ZoneOperationsClient(opts) },
    });
    providers.push(p);
    return p;
  };
  const live = () => gce.liveInstances('infrabase-test');

  beforeEach(async () => {
    providers = [];
    gce = await FakeComputeServer.start({ timing: { insertMs: 20, bootMs: 20, deleteMs: 2_500 } });
  });

  afterEach(async () => {
    for (const p of providers) await p.close();
    await gce.close();
  });

  it('inserts a labelled instance with the startup script, waits for it, then gets, lists and deletes it', async () => {
    const gcp = provider();
    const created = await gcp.create(spec('n-1'), 'tok-n-1-1', signal());
    expect(created).toMatchObject({
      id: `us-central1-a/${instanceNameFor('n-1', 'tok-n-1-1')}`,
      nodeId: 'n-1',
      clusterId: 'c1',
      zone: 'us-central1-a',
      instanceType: 'e2-small',
    });
    const [insert] = gce.callsOf('instances.insert');
    expect(insert.query.requestId).toBe(requestIdFor('tok-n-1-1'));
    expect(insert.body).toMatchObject({
      labels: { team: 'ml', 'infrabase-cluster': 'c1', 'infrabase-node': 'n-1', 'infrabase-role': 'data' },
      metadata: { items: [{ key: 'startup-script', value: spec('n-1').userData }] },
    });
    expect(gce.callsOf('zoneOperations.wait').length).toBeGreaterThan(0);

    await waitFor(async () => (await gcp.get(created.id, signal())).state === 'running');
    expect((await gcp.listOwned(signal())).map((i) => i.id)).toEqual([created.id]);

    await gcp.delete(created.id, signal());
    expect((await gcp.get(created.id, signal())).state).toBe('stopping');
    const gone = await waitFor(async () => {
      const err = await caught(gcp.get(created.id, signal()));
      return isInfrabaseError(err, 'NOT_FOUND') ? err : undefined;
    }, 15_000);
    expect(gone).toBeDefined();
    expect(await gcp.listOwned(signal())).toEqual([]);
  });

  it('returns the same instance when the same token is used twice', async () => {
    const gcp = provider();
    const a = await gcp.create(spec('n-1'), 'tok-1', signal());
    const b = await gcp.create(spec('n-1'), 'tok-1', signal());
    expect(b.id).toBe(a.id);
    expect(gce.callsOf('instances.insert')).toHaveLength(2);
    expect(live()).toHaveLength(1);
  });

  it('keeps one instance when the insert reply is dropped and the create is retried', async () => {
    const gcp = provider();
    gce.faults.failNext('instances.insert', 'drop');
    const err = await caught(gcp.create(spec('n-1'), 'tok-1', signal()));
    expect(isInfrabaseError(err, 'UNAVAILABLE')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    expect(live()).toHaveLength(1);

    const again = await gcp.create(spec('n-1'), 'tok-1', signal());
    expect(again.id).toBe(`us-central1-a/${live()[0].name}`);
    expect(live()).toHaveLength(1);
  });

  it('adopts its own instance when the requestId is forgotten and the insert answers alreadyExists', async () => {
    const gcp = provider();
    const name = instanceNameFor('n-1', 'tok-1');
    gce.seedInstance('infrabase-test', 'us-central1-a', name, {
      'infrabase-cluster': 'c1',
      'infrabase-node': 'n-1',
    });
    const adopted = await gcp.create(spec('n-1'), 'tok-1', signal());
    expect(adopted.id).toBe(`us-central1-a/${name}`);
    expect(gce.callsOf('instances.insert')[0].status).toBe(409);
    expect(live()).toHaveLength(1);
  });

  it('refuses to adopt an instance of the same name that another cluster owns', async () => {
    const gcp = provider();
    const name = instanceNameFor('n-1', 'tok-1');
    gce.seedInstance('infrabase-test', 'us-central1-a', name, {
      'infrabase-cluster': 'c2',
      'infrabase-node': 'n-1',
    });
    const err = await caught(gcp.create(spec('n-1'), 'tok-1', signal()));
    expect(isInfrabaseError(err, 'CONFLICT')).toBe(true);
  });

  it('surfaces HTTP 429 from an empty throttling bucket as a retryable THROTTLED', async () => {
    const gcp = provider();
    gce.faults.configure({ throttle: { burst: 1, perSecond: 0.001 } });
    await gcp.listOwned(signal());
    const err = await caught(gcp.create(spec('n-1'), 'tok-1', signal()));
    expect(isInfrabaseError(err, 'THROTTLED')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    expect(gce.callsOf('instances.insert')[0]).toMatchObject({ status: 429, fault: 'throttle' });
    expect(live()).toHaveLength(0);
  });

  it('surfaces a 5xx on insert as a retryable UNAVAILABLE (the SDK retries only reads)', async () => {
    const gcp = provider();
    gce.faults.failNext('instances.insert', 'server-error');
    const err = await caught(gcp.create(spec('n-1'), 'tok-1', signal()));
    expect(isInfrabaseError(err, 'UNAVAILABLE')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    expect(gce.callsOf('instances.insert')).toHaveLength(1);
    expect(live()).toHaveLength(0);
  });

  it('reports ZONE_RESOURCE_POOL_EXHAUSTED as INSUFFICIENT_CAPACITY naming the machine type and zone', async () => {
    const gcp = provider();
    gce.faults.setCapacity('n2-standard-4', 'us-central1-b', false);
    const err = await caught(
      gcp.create(spec('n-1', { instanceType: 'n2-standard-4', zone: 'us-central1-b' }), 'tok-1', signal()),
    );
    expect(isInfrabaseError(err, 'INSUFFICIENT_CAPACITY')).toBe(true);
    expect((err as { details: unknown }).details).toMatchObject({
      instanceType: 'n2-standard-4',
      zone: 'us-central1-b',
      vendorCode: 'ZONE_RESOURCE_POOL_EXHAUSTED',
    });
    expect(live()).toHaveLength(0);

    const other = await gcp.create(
      spec('n-1', { instanceType: 'n2-standard-4', zone: 'us-central1-c' }),
      'tok-2',
      signal(),
    );
    expect(other.zone).toBe('us-central1-c');
  });

  it('lists only instances labelled with its own cluster id, across zones', async () => {
    const gcp = provider();
    const a = await gcp.create(spec('n-1'), 'tok-1', signal());
    const b = await gcp.create(spec('n-2', { zone: 'us-central1-f' }), 'tok-2', signal());
    await provider('c2').create(spec('n-9'), 'tok-9', signal());
    gce.seedInstance('infrabase-test', 'us-central1-a', 'untagged', {});
    gce.seedInstance('infrabase-test', 'us-central1-a', 'node-only', { 'infrabase-node': 'n-1' });
    gce.seedInstance('infrabase-test', 'us-central1-a', 'near-miss', { 'infrabase-cluster': 'c1-other' });

    const owned = await gcp.listOwned(signal());
    expect(owned.map((i) => i.id).sort()).toEqual([a.id, b.id].sort());
    expect(live()).toHaveLength(6);
  });

  it('pages through aggregatedList when more than a page of instances is owned', async () => {
    const gcp = provider();
    for (let i = 0; i < 1_205; i++) {
      gce.seedInstance('infrabase-test', i % 2 ? 'us-central1-a' : 'us-central1-f', `ib-${i}`, {
        'infrabase-cluster': 'c1',
      });
    }
    const owned = await gcp.listOwned(signal());
    expect(new Set(owned.map((i) => i.id)).size).toBe(1_205);
    expect(gce.callsOf('instances.aggregatedList')).toHaveLength(3);
  });

  it('throws NOT_FOUND when deleting an unknown or already deleted instance', async () => {
    const gcp = provider();
    expect(isInfrabaseError(await caught(gcp.delete('us-central1-a/ib-nope', signal())), 'NOT_FOUND')).toBe(
      true,
    );
    expect(isInfrabaseError(await caught(gcp.delete('not-an-id', signal())), 'NOT_FOUND')).toBe(true);

    const created = await gcp.create(spec('n-1'), 'tok-1', signal());
    await gcp.delete(created.id, signal());
    await waitFor(
      async () => isInfrabaseError(await caught(gcp.delete(created.id, signal())), 'NOT_FOUND'),
      15_000,
    );
  });

  it('rejects a label GCE cannot store before calling the API', async () => {
    const gcp = provider();
    const err = await caught(gcp.create(spec('n-1', { labels: { Team: 'ML' } }), 'tok-1', signal()));
    expect(isInfrabaseError(err, 'INVALID_SPEC')).toBe(true);
    expect((err as Error).message).toContain('Team=ML');
    expect(gce.calls).toHaveLength(0);
  });
});
