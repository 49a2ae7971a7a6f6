import {
  COMPUTE_BASE_URL as BASE,
  type ComputeStore,
  type GceInstance,
  type GceOperation,
} from './compute-store.js';

/** An Instance resource as the Compute API returns it. */
export function instanceJson(store: ComputeStore, i: GceInstance): Record<string, unknown> {
  const zoneUrl = `${BASE}/projects/${i.project}/zones/${i.zone}`;
  const status = store.statusOf(i);
  return {
    kind: 'compute#instance',
    id: i.id,
    name: i.name,
    zone: zoneUrl,
    machineType: i.machineType,
    status,
    labels: i.labels,
    labelFingerprint: 'Y6yHDBxhRkw=',
    metadata: { kind: 'compute#metadata', fingerprint: 'kmVzWYhIVpA=', items: i.metadata },
    networkInterfaces: [
      {
        kind: 'compute#networkInterface',
        name: 'nic0',
        network: `${BASE}/projects/${i.project}/global/networks/default`,
        networkIP: i.networkIP,
        accessConfigs:
          status === 'RUNNING' ? [{ type: 'ONE_TO_ONE_NAT', natIP: `203.0.113.${Number(i.id) % 250}` }] : [],
      },
    ],
    creationTimestamp: new Date(i.createdAt).toISOString(),
    selfLink: `${zoneUrl}/instances/${i.name}`,
  };
}

/** A zone Operation resource; a failed one carries `error.errors[]` and `httpErrorStatusCode`, as on GCE. */
export function operationJson(store: ComputeStore, op: GceOperation): Record<string, unknown> {
  const zoneUrl = `${BASE}/projects/${op.project}/zones/${op.zone}`;
  const done = store.operationStatus(op) === 'DONE';
  return {
    kind: 'compute#operation',
    id: op.id,
    name: op.name,
    zone: zoneUrl,
    operationType: op.operationType,
    targetLink: `${zoneUrl}/instances/${op.targetName}`,
    targetId: op.targetId,
    status: done ? 'DONE' : 'RUNNING',
    user: 'infrabase-test@example.iam.gserviceaccount.com',
    progress: done ? 100 : 0,
    insertTime: new Date(op.startedAt).toISOString(),
    startTime: new Date(op.startedAt).toISOString(),
    ...(done ? { endTime: new Date(op.doneAt).toISOString() } : {}),
    ...(done && op.error
      ? {
          error: { errors: [{ code: op.error.code, message: op.error.message }] },
          httpErrorStatusCode: op.error.httpStatus,
          httpErrorMessage: op.error.httpMessage,
        }
      : {}),
    selfLink: `${zoneUrl}/operations/${op.name}`,
  };
}
