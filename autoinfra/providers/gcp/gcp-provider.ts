import { randomUUID } from 'node:crypto';
import { InstancesClient, type protos, ZoneOperationsClient } from '@google-cloud/compute';
import { type Clock, InfrabaseError, isInfrabaseError, systemClock } from '../../../engine/index.js';
import { type CloudProvider, type Instance, type NodeSpec, OWNERSHIP_TAGS } from '../../provider.js';
import { type ComputeErrorContext, fromComputeError, fromOperationError } from './errors.js';
import { toInstance } from './instance-mapping.js';
import { instanceIdOf, instanceNameFor, parseInstanceId, requestIdFor } from './naming.js';

/** The `providers.gcp` configuration section (control-plane/config/schema.ts `gcpProviderSchema`). */
export interface GcpProviderConfig {
  project?: string;
  /** Zone used when the row names none. */
  zone: string;
  /** Machine type used when the row names none. */
  machineType: string;
  /** Boot image used when the row names none (an image or image-family URL). */
  image: string;
  network: string;
  subnetwork?: string;
  /** `host:port` of the API over plain HTTP (tests point it at a local server). */
  apiEndpoint?: string;
}

/** The SDK clients the provider uses; tests pass clients built against the test server. */
export interface GcpClients {
  instances: InstancesClient;
  zoneOperations: ZoneOperationsClient;
}

export interface GcpProviderOptions {
  clients?: GcpClients;
  /** Paces re-polling when `zoneOperations.wait` returns before the operation is done. */
  clock?: Clock;
  /** Pause between `wait` calls that returned a running operation, in ms (default 1,000). */
  pollIntervalMs?: number;
}

const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
/** Upper bound on `zoneOperations.wait` calls for one operation (each blocks up to 2 min on GCE). */
const MAX_WAITS = 1_000;

/**
 * The GCP Compute Engine provider over `@google-cloud/compute` (REST transport). `create` calls
 * `instances.insert` with `requestId` = a UUID v5 of the idempotency token, labels
 * `infrabase-cluster` / `infrabase-node`, and the user data as the `startup-script` metadata item, then waits
 * on the zone operation. The instance name is derived from the node id and the token, so a create repeated
 * after a lost reply finds its own instance (`alreadyExists` ⇒ get, check labels, return it). Instance ids
 * are `<zone>/<name>`. Credentials come from Application Default Credentials unless clients are passed.
 *
 * @example
 * const gcp = new GcpProvider(config.providers.gcp, 'prod-1');
 * const instance = await gcp.create(spec, token, AbortSignal.timeout(300_000));
 */
export class GcpProvider implements CloudProvider {
  readonly name = 'gcp' as const;
  /** `NodeSpec.userData` is the `startup-script` metadata value that installs and starts the agent. */
  readonly bootFormat = 'startup-script' as const;
  private readonly instances: InstancesClient;
  private readonly zoneOperations: ZoneOperationsClient;
  private readonly project: string;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;

  /**
   * @param config the `providers.gcp` section; `project` is required.
   * @param clusterId the `infrabase-cluster` label value: 1–63 characters of a-z, 0-9, `_`, `-`.
   * @throws InfrabaseError `INVALID_ARGUMENT` when the project is missing or the cluster id is not a label value.
   */
  constructor(
    private readonly config: GcpProviderConfig,
    private readonly clusterId: string,
    options: GcpProviderOptions = {},
  ) {
    if (!config.project) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        'providers.gcp.project is not set; name the GCP project id',
      );
    }
    if (!clusterId || !LABEL_VALUE.test(clusterId)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `cluster id '${clusterId}' cannot be a GCE label value: use 1-63 characters of a-z, 0-9, _ and -`,
      );
    }
    this.project = config.project;
    this.clock = options.clock ?? systemClock;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    const endpoint = config.apiEndpoint ? /^(.*):(\d+)$/.exec(config.apiEndpoint) : null;
    const clientOptions = endpoint
      ? { apiEndpoint: endpoint[1], port: Number(endpoint[2]), protocol: 'http' as const }
      : undefined;
    this.instances = options.clients?.instances ?? new InstancesClient(clientOptions);
    this.zoneOperations = options.clients?.zoneOperations ?? new ZoneOperationsClient(clientOptions);
  }

  /**
   * Inserts the node's instance and waits for the zone operation, or returns the instance an earlier call
   * with the same token created.
   * @throws InfrabaseError `INVALID_SPEC` (bad label, region/zone mismatch, rejected resource), `CONFLICT`
   * (the name belongs to an instance that is not this node's), `INSUFFICIENT_CAPACITY` (details
   * `{ instanceType, zone }`), `THROTTLED`, `UNAVAILABLE`; the signal's reason when aborted.
   */
  async create(spec: NodeSpec, token: string, signal: AbortSignal): Promise<Instance> {
    const zone = spec.zone ?? this.config.zone;
    if (spec.region !== undefined && !zone.startsWith(`${spec.region}-`)) {
      throw new InfrabaseError(
        'INVALID_SPEC',
        `node ${spec.nodeId}: zone '${zone}' is not in region '${spec.region}'`,
      );
    }
    const machineType = spec.instanceType ?? this.config.machineType;
    const name = instanceNameFor(spec.nodeId, token);
    const ctx: ComputeErrorContext = { action: 'instances.insert', machineType, zone };
    const [op, conflict] = await this.call(
      () =>
        this.instances.insert({
          project: this.project,
          zone,
          requestId: requestIdFor(token),
          instanceResource: this.resource(spec, name, zone, machineType),
        }),
      signal,
      ctx,
    ).catch((err: unknown) => {
      // alreadyExists: an earlier create with this token (whose reply was lost) made the instance.
      if (isInfrabaseError(err, 'CONFLICT')) return [undefined, err] as const;
      throw err;
    });
    if (op) {
      const done = await this.waitForOperation(
        zone,
        op.latestResponse as protos.google.cloud.compute.v1.IOperation,
        signal,
      );
      if (done.error?.errors?.length) throw fromOperationError(done, ctx);
    }
    const instance = await this.get(instanceIdOf(zone, name), signal).catch((err: unknown) => {
      throw !op && isInfrabaseError(err, 'NOT_FOUND') ? conflict : err;
    });
    if (instance.clusterId !== this.clusterId || instance.nodeId !== spec.nodeId) {
      throw new InfrabaseError(
        'CONFLICT',
        `GCE instance ${zone}/${name} exists but is labelled cluster '${instance.clusterId}' node '${instance.nodeId}', not cluster '${this.clusterId}' node '${spec.nodeId}'`,
      );
    }
    return instance;
  }

  /**
   * Starts deletion (`instances.delete`) and does not wait for the operation. Each call has a fresh
   * `requestId`: a delete is idempotent by itself, and a remembered requestId would answer a later delete with
   * the old operation instead of `notFound`.
   * @throws InfrabaseError `NOT_FOUND` when the instance does not exist (any more).
   */
  async delete(instanceId: string, signal: AbortSignal): Promise<void> {
    const { zone, name } = parseInstanceId(instanceId);
    await this.call(
      () => this.instances.delete({ project: this.project, zone, instance: name, requestId: randomUUID() }),
      signal,
      { action: 'instances.delete', instanceId, zone },
    );
  }

  /** @throws InfrabaseError `NOT_FOUND` when the instance does not exist (deleted instances vanish on GCE). */
  async get(instanceId: string, signal: AbortSignal): Promise<Instance> {
    const { zone, name } = parseInstanceId(instanceId);
    const [instance] = await this.call(
      () => this.instances.get({ project: this.project, zone, instance: name }),
      signal,
      { action: 'instances.get', instanceId, zone },
    );
    return toInstance(instance);
  }

  /** Instances in every zone of the project labelled `infrabase-cluster` = this cluster id (aggregatedList). */
  async listOwned(signal: AbortSignal): Promise<Instance[]> {
    return this.call(
      async () => {
        const out: Instance[] = [];
        // The async iterator fetches page by page; autoPaginate: false says so, which keeps gax from warning.
        const pages = this.instances.aggregatedListAsync(
          { project: this.project, filter: `labels.${OWNERSHIP_TAGS.cluster} = "${this.clusterId}"` },
          { autoPaginate: false },
        );
        for await (const [, scoped] of pages) {
          for (const i of scoped.instances ?? []) {
            // Defence in depth: never report an instance whose label does not name this cluster.
            if (i.labels?.[OWNERSHIP_TAGS.cluster] === this.clusterId) out.push(toInstance(i));
          }
        }
        return out;
      },
      signal,
      { action: 'instances.aggregatedList' },
    );
  }

  /** Closes the SDK clients. */
  async close(): Promise<void> {
    await Promise.all([this.instances.close(), this.zoneOperations.close()]);
  }

  private resource(spec: NodeSpec, name: string, zone: string, machineType: string) {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(spec.labels)) {
      if (!LABEL_KEY.test(k) || !LABEL_VALUE.test(v)) {
        throw new InfrabaseError(
          'INVALID_SPEC',
          `node ${spec.nodeId}: label ${k}=${v} is not a GCE label (keys [a-z][a-z0-9_-]{0,62}, values [a-z0-9_-]{0,63})`,
        );
      }
      labels[k] = v;
    }
    labels['infrabase-role'] = spec.role;
    labels[OWNERSHIP_TAGS.cluster] = this.clusterId;
    labels[OWNERSHIP_TAGS.node] = spec.nodeId;
    return {
      name,
      machineType: `zones/${zone}/machineTypes/${machineType}`,
      labels,
      metadata:
        spec.userData === undefined
          ? undefined
          : { items: [{ key: 'startup-script', value: spec.userData }] },
      disks: [
        { boot: true, autoDelete: true, initializeParams: { sourceImage: spec.image ?? this.config.image } },
      ],
      networkInterfaces: [
        {
          network: this.config.network,
          subnetwork: this.config.subnetwork,
          accessConfigs: [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }],
        },
      ],
    };
  }

  /** Calls `zoneOperations.wait` until the operation is DONE (bounded by MAX_WAITS and the signal). */
  private async waitForOperation(
    zone: string,
    op: protos.google.cloud.compute.v1.IOperation,
    signal: AbortSignal,
  ): Promise<protos.google.cloud.compute.v1.IOperation> {
    let current = op;
    for (let i = 0; i < MAX_WAITS; i++) {
      if (current.status === 'DONE') return current;
      if (i > 0) await this.clock.sleep(this.pollIntervalMs, signal);
      const operation = current.name ?? '';
      [current] = await this.call(
        () => this.zoneOperations.wait({ project: this.project, zone, operation }),
        signal,
        { action: 'zoneOperations.wait', zone },
      );
    }
    throw new InfrabaseError('TIMEOUT', `GCE operation ${op.name} not done after ${MAX_WAITS} waits`);
  }

  /** Runs one SDK call, rejecting with the signal's reason when aborted and translating vendor errors. */
  private async call<T>(fn: () => Promise<T>, signal: AbortSignal, ctx: ComputeErrorContext): Promise<T> {
    signal.throwIfAborted();
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(), aborted]);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw fromComputeError(err, ctx);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}
