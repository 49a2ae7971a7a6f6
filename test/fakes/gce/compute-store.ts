import { createHash } from 'node:crypto';
import { GceApiError, invalid, notFound } from './api-error.js';

const BASE = 'https://www.googleapis.com/compute/v1';
const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Lifecycle durations in ms. */
export interface GceTiming {
  /** insert operation: PENDING/RUNNING → DONE (the instance is PROVISIONING meanwhile). */
  insertMs: number;
  /** STAGING → RUNNING after the insert operation is done. */
  bootMs: number;
  /** delete operation: the instance is STOPPING, then gone (404). */
  deleteMs: number;
}

export interface GceInstance {
  readonly id: string;
  readonly name: string;
  readonly project: string;
  readonly zone: string;
  readonly machineType: string;
  readonly labels: Record<string, string>;
  readonly metadata: { key: string; value: string }[];
  readonly networkIP: string;
  readonly createdAt: number;
  deleteRequestedAt?: number;
}

export interface GceOperation {
  readonly id: string;
  readonly name: string;
  readonly project: string;
  readonly zone: string;
  readonly operationType: 'insert' | 'delete';
  readonly targetName: string;
  readonly targetId: string;
  readonly startedAt: number;
  readonly doneAt: number;
  /** Set when the operation fails (e.g. `ZONE_RESOURCE_POOL_EXHAUSTED`). */
  readonly error?: { code: string; message: string; httpStatus: number; httpMessage: string };
}

export interface InsertRequest {
  project: string;
  zone: string;
  requestId?: string;
  body: {
    name?: string;
    machineType?: string;
    labels?: Record<string, string>;
    metadata?: { items?: { key?: string; value?: string }[] };
  };
  /** Whether (machine type, zone) has capacity; decided by the server's faults. */
  hasCapacity: (machineType: string, zone: string) => boolean;
}

/**
 * Instances and zone operations of a fake Compute project. States derive from timestamps on each read, so
 * tests may step an injected clock. `requestId`s are remembered: the same id returns the same operation.
 */
export class ComputeStore {
  private readonly instances = new Map<string, GceInstance>();
  private readonly operations = new Map<string, GceOperation>();
  private readonly requests = new Map<string, string>();
  private seq = 0;

  constructor(
    private readonly now: () => number,
    readonly timing: GceTiming,
    /** The private address of the n-th instance (default 10.128.x.y). */
    private readonly networkIpOf: (seq: number) => string = (n) => `10.128.${(n >> 8) & 255}.${n & 255}`,
  ) {}

  /** PROVISIONING → STAGING → RUNNING; STOPPING while being deleted; `gone` after the delete finished. */
  statusOf(i: GceInstance): 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' | 'gone' {
    const t = this.now();
    if (i.deleteRequestedAt !== undefined)
      return t >= i.deleteRequestedAt + this.timing.deleteMs ? 'gone' : 'STOPPING';
    if (t < i.createdAt + this.timing.insertMs) return 'PROVISIONING';
    return t < i.createdAt + this.timing.insertMs + this.timing.bootMs ? 'STAGING' : 'RUNNING';
  }

  operationStatus(op: GceOperation): 'RUNNING' | 'DONE' {
    return this.now() >= op.doneAt ? 'DONE' : 'RUNNING';
  }

  /** instances.insert: an operation; the same `requestId` returns the original operation. */
  insert(req: InsertRequest): GceOperation {
    const prior = this.priorOperation(req.requestId);
    if (prior) return prior;
    const { project, zone, body } = req;
    checkZone(zone);
    const name = body.name ?? '';
    if (!NAME.test(name)) {
      throw invalid(
        'resource.name',
        name,
        "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'",
      );
    }
    const machineType = /(?:^|\/)zones\/([^/]+)\/machineTypes\/([^/]+)$/.exec(body.machineType ?? '');
    if (!machineType || machineType[1] !== zone) {
      throw invalid(
        'resource.machineType',
        body.machineType ?? '',
        `Expected zones/${zone}/machineTypes/TYPE.`,
      );
    }
    for (const [k, v] of Object.entries(body.labels ?? {})) {
      if (!LABEL_KEY.test(k) || !LABEL_VALUE.test(v)) {
        throw invalid(
          `resource.labels.${k}`,
          v,
          'Label keys and values allow lowercase letters, digits, _ and -.',
        );
      }
    }
    const key = instanceKey(project, zone, name);
    const existing = this.instances.get(key);
    if (existing && this.statusOf(existing) !== 'gone') {
      throw new GceApiError(
        409,
        'alreadyExists',
        `The resource '${path(project, zone, name)}' already exists`,
      );
    }
    const type = machineType[2];
    if (!req.hasCapacity(type, zone)) {
      return this.record(req.requestId, project, zone, 'insert', name, '0', this.timing.insertMs, {
        code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
        message: `The zone '${path(project, zone)}' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.`,
        httpStatus: 503,
        httpMessage: 'SERVICE UNAVAILABLE',
      });
    }
    this.seq += 1;
    const instance: GceInstance = {
      id: String(BigInt(`0x${hash(`${key}/${this.seq}`).slice(0, 15)}`)),
      name,
      project,
      zone,
      machineType: `${BASE}/projects/${project}/zones/${zone}/machineTypes/${type}`,
      labels: { ...(body.labels ?? {}) },
      metadata: (body.metadata?.items ?? []).map((m) => ({ key: m.key ?? '', value: m.value ?? '' })),
      networkIP: this.networkIpOf(this.seq),
      createdAt: this.now(),
    };
    this.instances.set(key, instance);
    return this.record(req.requestId, project, zone, 'insert', name, instance.id, this.timing.insertMs);
  }

  /** instances.delete: starts deletion; 404 for an unknown or deleted instance. */
  delete(project: string, zone: string, name: string, requestId: string | undefined): GceOperation {
    const prior = this.priorOperation(requestId);
    if (prior) return prior;
    const instance = this.get(project, zone, name);
    if (instance.deleteRequestedAt === undefined) instance.deleteRequestedAt = this.now();
    const remaining = instance.deleteRequestedAt + this.timing.deleteMs - this.now();
    return this.record(requestId, project, zone, 'delete', name, instance.id, remaining);
  }

  /** instances.get: 404 for an unknown or deleted instance. */
  get(project: string, zone: string, name: string): GceInstance {
    checkZone(zone);
    const i = this.instances.get(instanceKey(project, zone, name));
    if (!i || this.statusOf(i) === 'gone') throw notFound(path(project, zone, name));
    return i;
  }

  /** Instances not yet gone, in creation order, optionally of one zone; gone ones are forgotten. */
  list(project: string, zone?: string): GceInstance[] {
    const out: GceInstance[] = [];
    for (const [key, i] of this.instances) {
      if (this.statusOf(i) === 'gone') this.instances.delete(key);
      else if (i.project === project && (zone === undefined || i.zone === zone)) out.push(i);
    }
    return out;
  }

  operation(project: string, zone: string, name: string): GceOperation {
    const op = this.operations.get(name);
    if (!op || op.project !== project || op.zone !== zone) {
      throw notFound(`projects/${project}/zones/${zone}/operations/${name}`);
    }
    return op;
  }

  private priorOperation(requestId: string | undefined): GceOperation | undefined {
    if (requestId === undefined) return undefined;
    if (!UUID.test(requestId) || /^[0-]+$/.test(requestId)) {
      throw invalid('requestId', requestId, 'Must be a valid UUID other than the zero UUID.');
    }
    const name = this.requests.get(requestId);
    return name === undefined ? undefined : this.operations.get(name);
  }

  private record(
    requestId: string | undefined,
    project: string,
    zone: string,
    operationType: 'insert' | 'delete',
    targetName: string,
    targetId: string,
    durationMs: number,
    error?: GceOperation['error'],
  ): GceOperation {
    this.seq += 1;
    const started = this.now();
    const op: GceOperation = {
      id: String(BigInt(`0x${hash(`op/${this.seq}`).slice(0, 15)}`)),
      name: `operation-${started}-${hash(`op-name/${this.seq}`).slice(0, 13)}`,
      project,
      zone,
      operationType,
      targetName,
      targetId,
      startedAt: started,
      doneAt: started + Math.max(0, durationMs),
      error,
    };
    this.operations.set(op.name, op);
    if (requestId !== undefined) this.requests.set(requestId, op.name);
    return op;
  }
}

function checkZone(zone: string): void {
  if (!/^[a-z]+-[a-z]+\d+-[a-z]$/.test(zone)) throw invalid('zone', zone, 'Unknown zone.');
}

function instanceKey(project: string, zone: string, name: string): string {
  return `${project}/${zone}/${name}`;
}

export function path(project: string, zone: string, name?: string): string {
  return `projects/${project}/zones/${zone}${name === undefined ? '' : `/instances/${name}`}`;
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export { BASE as COMPUTE_BASE_URL };
