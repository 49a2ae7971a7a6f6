import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandOutput,
  EC2Client,
  type Instance as Ec2Instance,
  RunInstancesCommand,
  type RunInstancesCommandOutput,
  type Tag,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { InfrabaseError, isInfrabaseError } from '../../../engine/index.js';
import { type CloudProvider, type Instance, type NodeSpec, OWNERSHIP_TAGS } from '../../provider.js';
import { type Ec2ErrorContext, fromEc2Error } from './errors.js';
import { clientTokenFor, toInstance } from './instance-mapping.js';

/** The `providers.aws` configuration section (control-plane/config/schema.ts `awsProviderSchema`). */
export interface AwsProviderConfig {
  region: string;
  /** Overrides the EC2 endpoint, e.g. `http://127.0.0.1:PORT` for the test server. */
  endpoint?: string;
  /** AMI used when the row names no image. */
  imageId?: string;
  /** Instance type used when the row names none. */
  instanceType: string;
  subnetId?: string;
  securityGroupIds: string[];
  keyName?: string;
  /** The SDK's attempts per call, retries included (the SDK's standard retry mode with full jitter). */
  maxAttempts: number;
}

/** EC2's limit on `UserData`, in bytes before base64 encoding (RunInstances API reference). */
export const EC2_USER_DATA_MAX_BYTES = 16_384;

/** States listOwned reports; terminated instances linger in EC2's answers for about an hour and are left out. */
const LIVE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];
/** States in which an earlier launch of a node can be adopted by a create (not on its way out). */
const ADOPTABLE_STATES = ['pending', 'running'];
/** Upper bound on DescribeInstances pages read by one listOwned (1,000 instances per page). */
const MAX_PAGES = 100;

/**
 * Whether a failed call may still have taken effect: no EC2 answer came (`UNAVAILABLE`: connection lost,
 * 5xx; `INTERNAL`: an unexpected failure) or the caller gave up waiting (abort, `TIMEOUT`). EC2's own refusals
 * (throttling, capacity, invalid parameters, conflicts) mean nothing was launched.
 */
function outcomeUnknown(err: unknown): boolean {
  return !isInfrabaseError(err) || ['UNAVAILABLE', 'INTERNAL', 'TIMEOUT'].includes(err.code);
}

/**
 * The AWS EC2 provider over `@aws-sdk/client-ec2`. One instance per `create`, launched with
 * RunInstances(`ClientToken` = the idempotency token, `MinCount` = `MaxCount` = 1) and tagged at launch
 * with `infrabase-cluster` = cluster id and `infrabase-node` = node id, so a retried or repeated create
 * returns the same instance and an orphan can be recognised. When a RunInstances of a token ended without an
 * answer (connection lost, timeout, 5xx, aborted), the next create with that token first looks the node's
 * instance up by those tags and adopts it, so the retry launches no second instance even where `ClientToken`
 * is not honoured (moto's EC2 server).
 * Credentials come from the SDK's default chain unless the caller passes its own client.
 *
 * @example
 * const aws = new AwsProvider(config.providers.aws, 'prod-1');
 * const instance = await aws.create(spec, row.idempotency_token, AbortSignal.timeout(30_000));
 */
export class AwsProvider implements CloudProvider {
  readonly name = 'aws' as const;
  /** `NodeSpec.userData` is cloud-init user data (`#cloud-config`) that installs and starts the agent. */
  readonly bootFormat = 'cloud-config' as const;
  private readonly client: EC2Client;
  private readonly ownsClient: boolean;
  /** ClientTokens whose RunInstances ended without an answer: it may have launched an instance. */
  private readonly unanswered = new Set<string>();

  /**
   * @param config the `providers.aws` section.
   * @param clusterId the value of the `infrabase-cluster` tag on every instance this cluster launches.
   * @param client an EC2 client to use instead of one built from `config` (tests pass static credentials).
   */
  constructor(
    private readonly config: AwsProviderConfig,
    private readonly clusterId: string,
    client?: EC2Client,
  ) {
    if (!clusterId) throw new InfrabaseError('INVALID_ARGUMENT', 'AwsProvider needs a non-empty cluster id');
    this.ownsClient = client === undefined;
    this.client =
      client ??
      new EC2Client({ region: config.region, endpoint: config.endpoint, maxAttempts: config.maxAttempts });
  }

  /**
   * Launches the node's instance, or returns the one an earlier call with the same token launched. When an
   * earlier RunInstances of this token got no answer, first a DescribeInstances for a pending or running
   * instance tagged with this cluster and node, of the spec's instance type and (when EC2 reports one) the
   * same ClientToken, which is adopted; only when there is none, RunInstances (with the ClientToken).
   * The zone EC2 placed the instance in is checked against `spec.zone`: on a mismatch (e.g. the configured
   * subnet lies in another zone) the instance is terminated and the create fails.
   * @throws InfrabaseError `INVALID_SPEC` (no image, region mismatch, user data over
   * {@link EC2_USER_DATA_MAX_BYTES}, rejected parameters, placed in another zone than `spec.zone`), `CONFLICT`
   * (token reused with another spec), `INSUFFICIENT_CAPACITY` (details `{ instanceType, zone }`),
   * `THROTTLED`, `UNAVAILABLE`; the signal's reason when aborted.
   */
  async create(spec: NodeSpec, token: string, signal: AbortSignal): Promise<Instance> {
    const imageId = spec.image ?? this.config.imageId;
    if (!imageId) {
      throw new InfrabaseError(
        'INVALID_SPEC',
        `node ${spec.nodeId} has no image: set sys_nodes.image or providers.aws.imageId to an AMI id (ami-…)`,
      );
    }
    if (spec.region !== undefined && spec.region !== this.config.region) {
      throw new InfrabaseError(
        'INVALID_SPEC',
        `node ${spec.nodeId} asks for region '${spec.region}' but the aws provider serves '${this.config.region}' only`,
      );
    }
    const userDataBytes = spec.userData === undefined ? 0 : Buffer.byteLength(spec.userData, 'utf8');
    if (userDataBytes > EC2_USER_DATA_MAX_BYTES) {
      throw new InfrabaseError(
        'INVALID_SPEC',
        `node ${spec.nodeId} has ${userDataBytes} bytes of user data; EC2 accepts at most ${EC2_USER_DATA_MAX_BYTES}`,
      );
    }
    const instanceType = spec.instanceType ?? this.config.instanceType;
    const tags: Tag[] = [
      ...Object.entries(spec.labels)
        .filter(([k]) => k !== OWNERSHIP_TAGS.cluster && k !== OWNERSHIP_TAGS.node)
        .map(([Key, Value]) => ({ Key, Value })),
      { Key: 'Name', Value: spec.nodeId },
      { Key: 'infrabase-role', Value: spec.role },
      { Key: OWNERSHIP_TAGS.cluster, Value: this.clusterId },
      { Key: OWNERSHIP_TAGS.node, Value: spec.nodeId },
    ];
    const clientToken = clientTokenFor(token);
    if (this.unanswered.has(clientToken)) {
      const earlier = await this.findLaunched(spec.nodeId, instanceType, clientToken, signal);
      if (earlier) {
        this.unanswered.delete(clientToken);
        return this.checkZone(spec, earlier, signal);
      }
    }
    const command = new RunInstancesCommand({
      ClientToken: clientToken,
      ImageId: imageId,
      InstanceType: instanceType as RunInstancesCommand['input']['InstanceType'],
      MinCount: 1,
      MaxCount: 1,
      Placement: spec.zone ? { AvailabilityZone: spec.zone } : undefined,
      SubnetId: this.config.subnetId,
      SecurityGroupIds: this.config.securityGroupIds.length > 0 ? this.config.securityGroupIds : undefined,
      KeyName: this.config.keyName,
      UserData:
        spec.userData === undefined ? undefined : Buffer.from(spec.userData, 'utf8').toString('base64'),
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags.filter((t) => t.Key?.startsWith('infrabase-')) },
      ],
    });
    let out: RunInstancesCommandOutput;
    try {
      out = await this.send(() => this.client.send(command, { abortSignal: signal }), signal, {
        action: 'RunInstances',
        instanceType,
        zone: spec.zone,
      });
    } catch (err) {
      if (outcomeUnknown(err)) this.unanswered.add(clientToken);
      throw err;
    }
    this.unanswered.delete(clientToken);
    const launched = out.Instances?.[0];
    if (!launched?.InstanceId) {
      throw new InfrabaseError('INTERNAL', `EC2 RunInstances for node ${spec.nodeId} returned no instance`);
    }
    return this.checkZone(spec, toInstance(launched), signal);
  }

  /**
   * The pending or running instance an earlier create of this node launched, if EC2 has one: tagged with this
   * cluster and node, of `instanceType`, and with `clientToken` when EC2 reports the instance's token.
   */
  private async findLaunched(
    nodeId: string,
    instanceType: string,
    clientToken: string,
    signal: AbortSignal,
  ): Promise<Instance | undefined> {
    const out = await this.send(
      () =>
        this.client.send(
          new DescribeInstancesCommand({
            Filters: [
              { Name: `tag:${OWNERSHIP_TAGS.cluster}`, Values: [this.clusterId] },
              { Name: `tag:${OWNERSHIP_TAGS.node}`, Values: [nodeId] },
              { Name: 'instance-state-name', Values: ADOPTABLE_STATES },
            ],
          }),
          { abortSignal: signal },
        ),
      signal,
      { action: 'DescribeInstances' },
    );
    const sameLaunch = (i: Ec2Instance) =>
      i.InstanceType === instanceType && (!i.ClientToken || i.ClientToken === clientToken);
    const found = (out.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .filter(sameLaunch)
      .map(toInstance)
      .filter((i) => i.clusterId === this.clusterId && i.nodeId === nodeId && i.state !== 'terminated')
      .sort((a, b) => (a.launchedAt ?? 0) - (b.launchedAt ?? 0));
    return found[0];
  }

  /**
   * `instance` when it is in the zone the spec asked for (or the spec named none); otherwise terminates it
   * (best effort) and throws `INVALID_SPEC` naming both zones, so the mismatch is the row's status_reason
   * rather than a node silently running elsewhere.
   */
  private async checkZone(spec: NodeSpec, instance: Instance, signal: AbortSignal): Promise<Instance> {
    if (spec.zone === undefined || instance.zone === undefined || instance.zone === spec.zone)
      return instance;
    let cleanup = `instance ${instance.id} terminated`;
    try {
      await this.delete(instance.id, signal);
    } catch (err) {
      cleanup = `terminating it failed (${(err as Error).message}); deleting the row terminates it`;
    }
    const subnet = this.config.subnetId
      ? ` (providers.aws.subnetId ${this.config.subnetId} decides the zone)`
      : '';
    throw new InfrabaseError(
      'INVALID_SPEC',
      `node ${spec.nodeId} asks for zone '${spec.zone}' but EC2 placed instance ${instance.id} in '${instance.zone}'${subnet}; ${cleanup}. Use a subnet in '${spec.zone}' or leave the row's zone empty`,
      { details: { instanceId: instance.id, zone: spec.zone, placedZone: instance.zone } },
    );
  }

  /**
   * Starts termination (TerminateInstances).
   * @throws InfrabaseError `NOT_FOUND` when the instance is unknown or already terminated.
   */
  async delete(instanceId: string, signal: AbortSignal): Promise<void> {
    const out = await this.send(
      () =>
        this.client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }), {
          abortSignal: signal,
        }),
      signal,
      { action: 'TerminateInstances', instanceId },
    );
    if (out.TerminatingInstances?.[0]?.PreviousState?.Name === 'terminated') {
      throw new InfrabaseError('NOT_FOUND', `EC2 instance ${instanceId} is already terminated`, {
        details: { instanceId },
      });
    }
  }

  /**
   * DescribeInstances for one id; a terminated instance still visible in EC2 has state `terminated`.
   * @throws InfrabaseError `NOT_FOUND` once EC2 no longer knows the id.
   */
  async get(instanceId: string, signal: AbortSignal): Promise<Instance> {
    const out = await this.send(
      () =>
        this.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), {
          abortSignal: signal,
        }),
      signal,
      { action: 'DescribeInstances', instanceId },
    );
    const found = out.Reservations?.flatMap((r) => r.Instances ?? []).find(
      (i) => i.InstanceId === instanceId,
    );
    if (!found) {
      throw new InfrabaseError('NOT_FOUND', `EC2 instance ${instanceId} does not exist`, {
        details: { instanceId },
      });
    }
    return toInstance(found);
  }

  /** Live (not terminated) instances tagged `infrabase-cluster` = this cluster id, across all pages. */
  async listOwned(signal: AbortSignal): Promise<Instance[]> {
    const result: Instance[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out: DescribeInstancesCommandOutput = await this.send(
        () =>
          this.client.send(
            new DescribeInstancesCommand({
              Filters: [
                { Name: `tag:${OWNERSHIP_TAGS.cluster}`, Values: [this.clusterId] },
                { Name: 'instance-state-name', Values: LIVE_STATES },
              ],
              MaxResults: 1000,
              NextToken: nextToken,
            }),
            { abortSignal: signal },
          ),
        signal,
        { action: 'DescribeInstances' },
      );
      for (const i of out.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
        const instance = toInstance(i);
        // Defence in depth: never report an instance whose tag does not name this cluster.
        if (instance.clusterId === this.clusterId) result.push(instance);
      }
      nextToken = out.NextToken;
      if (!nextToken) return result;
    }
    throw new InfrabaseError('INTERNAL', `EC2 DescribeInstances returned more than ${MAX_PAGES} pages`);
  }

  /** Closes the sockets of the SDK client this provider built (a client passed in is the caller's to close). */
  close(): void {
    if (this.ownsClient) this.client.destroy();
  }

  private async send<T>(call: () => Promise<T>, signal: AbortSignal, ctx: Ec2ErrorContext): Promise<T> {
    signal.throwIfAborted();
    try {
      return await call();
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw fromEc2Error(err, ctx);
    }
  }
}
