import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandOutput,
  EC2Client,
  RunInstancesCommand,
  type Tag,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { InfrabaseError } from '../../../engine/index.js';
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
/** Upper bound on DescribeInstances pages read by one listOwned (1,000 instances per page). */
const MAX_PAGES = 100;

/**
 * The AWS EC2 provider over `@aws-sdk/client-ec2`. One instance per `create`, launched with
 * RunInstances(`ClientToken` = the idempotency token, `MinCount` = `MaxCount` = 1) and tagged at launch
 * with `infrabase-cluster` = cluster id and `infrabase-node` = node id, so a retried or repeated create
 * returns the same instance and an orphan can be recognised. Credentials come from the SDK's default
 * chain unless the caller passes its own client.
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
   * Launches the node's instance, or returns the one an earlier call with the same token launched.
   * @throws InfrabaseError `INVALID_SPEC` (no image, region mismatch, user data over
   * {@link EC2_USER_DATA_MAX_BYTES}, rejected parameters), `CONFLICT`
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
    const command = new RunInstancesCommand({
      ClientToken: clientTokenFor(token),
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
    const out = await this.send(() => this.client.send(command, { abortSignal: signal }), signal, {
      action: 'RunInstances',
      instanceType,
      zone: spec.zone,
    });
    const launched = out.Instances?.[0];
    if (!launched?.InstanceId) {
      throw new InfrabaseError('INTERNAL', `EC2 RunInstances for node ${spec.nodeId} returned no instance`);
    }
    return toInstance(launched);
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
