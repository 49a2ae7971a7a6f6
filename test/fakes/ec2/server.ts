import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, type Random, seededRandom, systemClock } from '../../../engine/index.js';
import { type FaultOptions, Faults } from '../faults/index.js';
import { answerWithFaults, type CallFault, LoopbackServer, readBody } from '../http/index.js';
import { Ec2ApiError, type Ec2Instance, Ec2InstanceStore, type Ec2Timing } from './instance-store.js';
import {
  canonicalParams,
  filtersParam,
  listParam,
  type QueryFilter,
  tagSpecificationsParam,
} from './query-params.js';
import { type Ec2StateName, errorXml, instanceXml, responseXml, stateXml } from './xml.js';

/** One request as the server saw it. */
export interface Ec2Call {
  action: string;
  params: Record<string, string>;
  /** The fault injected, if any. */
  fault?: CallFault;
  /** EC2 error code answered, if any. */
  error?: string;
}

export interface FakeEc2Options {
  region?: string;
  clock?: Clock;
  random?: Random;
  timing?: Partial<Ec2Timing>;
  faults?: FaultOptions;
  /** The private address of the n-th instance (default 10.0.x.y); loopback when its agent runs on this host. */
  privateIp?: (seq: number) => string;
}

const MUTATING = new Set(['RunInstances', 'TerminateInstances']);

/**
 * An HTTP server on 127.0.0.1 speaking enough of the EC2 Query API (version 2016-11-15) for
 * `@aws-sdk/client-ec2`: RunInstances, DescribeInstances, TerminateInstances, with fault injection and a
 * record of every call. Requests must carry a SigV4 `Authorization` header (not verified).
 *
 * @example
 * const ec2 = await FakeEc2Server.start({ timing: { bootMs: 0 } });
 * const client = new EC2Client({ endpoint: ec2.endpoint, region: 'us-east-1', credentials: FAKE_AWS_CREDENTIALS });
 */
export class FakeEc2Server {
  readonly calls: Ec2Call[] = [];
  readonly faults: Faults;
  readonly store: Ec2InstanceStore;
  readonly region: string;
  private readonly clock: Clock;
  private readonly http: LoopbackServer;

  private constructor(options: FakeEc2Options) {
    this.region = options.region ?? 'us-east-1';
    this.clock = options.clock ?? systemClock;
    this.faults = new Faults(this.clock, options.random ?? seededRandom(1), options.faults);
    this.store = new Ec2InstanceStore(
      () => this.clock.now(),
      {
        bootMs: 50,
        shutdownMs: 50,
        retentionMs: 60_000,
        ...options.timing,
      },
      options.privateIp,
    );
    this.http = new LoopbackServer((req, res) => void this.handle(req, res));
  }

  static async start(options: FakeEc2Options = {}): Promise<FakeEc2Server> {
    const server = new FakeEc2Server(options);
    await server.http.listen();
    return server;
  }

  get port(): number {
    return this.http.port;
  }

  /** `http://127.0.0.1:PORT`, for the SDK's `endpoint`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Calls of one action. */
  callsOf(action: string): Ec2Call[] {
    return this.calls.filter((c) => c.action === action);
  }

  /** Instances not yet terminated (pending, running or shutting-down). */
  liveInstances(): Ec2Instance[] {
    return this.store.visible().filter((i) => this.store.stateOf(i) !== 'terminated');
  }

  /** Adds an instance directly, as if launched outside infrabase (for orphan and foreign-instance tests). */
  seedInstance(instanceType: string, tags: { key: string; value: string }[]): Ec2Instance {
    return this.store.launch({
      imageId: 'ami-0abcdef1234567890',
      instanceType,
      zone: `${this.region}a`,
      securityGroupIds: [],
      tags,
      fingerprint: '',
    }).instance;
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const params = new URLSearchParams(await readBody(req));
    const action = params.get('Action') ?? '';
    const call: Ec2Call = { action, params: Object.fromEntries(params) };
    this.calls.push(call);
    const requestId = randomUUID();
    const send = (status: number, xml: string) => {
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId });
      res.end(xml);
    };
    await answerWithFaults(this.faults, req.socket, {
      call,
      action,
      mutating: MUTATING.has(action),
      refusal: () =>
        req.headers.authorization?.startsWith('AWS4-HMAC-SHA256')
          ? undefined
          : new Ec2ApiError('AuthFailure', 'AWS was not able to validate the provided access credentials'),
      throttled: () => new Ec2ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503),
      serverError: () => new Ec2ApiError('InternalError', 'An internal error has occurred', 500),
      isApiError: (err) => err instanceof Ec2ApiError,
      dispatch: () => this.dispatch(action, params, call),
      fail: (e) => {
        call.error = e.code;
        send(e.status, errorXml(e.code, e.message, requestId));
      },
      succeed: (body) => send(200, responseXml(action, requestId, body as string)),
    });
  }

  private dispatch(action: string, params: URLSearchParams, call: Ec2Call): string {
    if (params.get('Version') !== '2016-11-15') {
      throw new Ec2ApiError('InvalidParameterValue', `Unsupported Version '${params.get('Version')}'`);
    }
    switch (action) {
      case 'RunInstances':
        return this.runInstances(params, call);
      case 'DescribeInstances':
        return this.describeInstances(params);
      case 'TerminateInstances':
        return this.terminateInstances(params);
      default:
        throw new Ec2ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  private runInstances(params: URLSearchParams, call: Ec2Call): string {
    const min = Number(params.get('MinCount'));
    const max = Number(params.get('MaxCount'));
    if (min !== 1 || max !== 1) {
      throw new Ec2ApiError(
        'InvalidParameterValue',
        `This server launches one instance per call; got ${min}..${max}`,
      );
    }
    const imageId = params.get('ImageId');
    if (!imageId) throw new Ec2ApiError('MissingParameter', 'The request must contain the parameter ImageId');
    if (!/^ami-[0-9a-f]{8,17}$/.test(imageId)) {
      throw new Ec2ApiError('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
    }
    const instanceType = params.get('InstanceType') ?? 'm1.small';
    if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType)) {
      throw new Ec2ApiError('InvalidParameterValue', `Invalid value '${instanceType}' for InstanceType.`);
    }
    const zone = params.get('Placement.AvailabilityZone') ?? `${this.region}a`;
    if (!zone.startsWith(this.region) || !/^[a-z0-9-]+[a-z]$/.test(zone)) {
      throw new Ec2ApiError('InvalidParameterValue', `Invalid availability zone: [${zone}]`);
    }
    const clientToken = params.get('ClientToken') ?? undefined;
    if (clientToken !== undefined && clientToken.length > 64) {
      throw new Ec2ApiError('InvalidParameterValue', 'ClientToken must be at most 64 ASCII characters');
    }
    if (!this.faults.hasCapacity(instanceType, zone)) {
      call.fault = 'capacity';
      throw new Ec2ApiError(
        'InsufficientInstanceCapacity',
        `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity. You can currently get ${instanceType} capacity by not specifying an Availability Zone in your request or choosing a different Availability Zone.`,
        500,
      );
    }
    const tags = tagSpecificationsParam(params)
      .filter((s) => s.resourceType === 'instance')
      .flatMap((s) => s.tags);
    const { reservationId, instance } = this.store.launch({
      imageId,
      instanceType,
      zone,
      subnetId: params.get('SubnetId') ?? undefined,
      securityGroupIds: listParam(params, 'SecurityGroupId'),
      keyName: params.get('KeyName') ?? undefined,
      userData: params.get('UserData') ?? undefined,
      tags,
      clientToken,
      fingerprint: canonicalParams(params, ['ClientToken']),
    });
    const state = this.store.stateOf(instance) as Ec2StateName;
    return (
      `<reservationId>${reservationId}</reservationId><ownerId>123456789012</ownerId><groupSet/>` +
      `<instancesSet>${instanceXml(instance, state)}</instancesSet>`
    );
  }

  private describeInstances(params: URLSearchParams): string {
    const ids = listParam(params, 'InstanceId');
    const filters = filtersParam(params);
    for (const f of filters) checkFilter(f);
    let found = ids.length > 0 ? ids.map((id) => this.store.find(id)) : this.store.visible();
    found = found.filter((i) => filters.every((f) => matches(i, this.store.stateOf(i) as Ec2StateName, f)));
    const maxResults = Number(params.get('MaxResults') ?? 1000);
    const start = Number(params.get('NextToken') ?? 0);
    const page = found.slice(start, start + maxResults);
    const next = start + maxResults < found.length ? `<nextToken>${start + maxResults}</nextToken>` : '';
    const reservations = page
      .map(
        (i) =>
          `<item><reservationId>${i.reservationId}</reservationId><ownerId>123456789012</ownerId><groupSet/>` +
          `<instancesSet>${instanceXml(i, this.store.stateOf(i) as Ec2StateName)}</instancesSet></item>`,
      )
      .join('');
    return `<reservationSet>${reservations}</reservationSet>${next}`;
  }

  private terminateInstances(params: URLSearchParams): string {
    const ids = listParam(params, 'InstanceId');
    if (ids.length === 0)
      throw new Ec2ApiError('MissingParameter', 'The request must contain the parameter InstanceId');
    for (const id of ids) this.store.find(id);
    const items = ids.map((id) => {
      const { previous, current } = this.store.terminate(id);
      return `<item><instanceId>${id}</instanceId>${stateXml('currentState', current)}${stateXml('previousState', previous)}</item>`;
    });
    return `<instancesSet>${items.join('')}</instancesSet>`;
  }
}

const FILTERS = [
  'instance-state-name',
  'instance-id',
  'instance-type',
  'availability-zone',
  'tag-key',
  'client-token',
];

function checkFilter(f: QueryFilter): void {
  if (!f.name.startsWith('tag:') && !FILTERS.includes(f.name)) {
    throw new Ec2ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
  }
}

/** EC2 filter semantics: values are ORed, `*` and `?` are wildcards. */
function matches(i: Ec2Instance, state: Ec2StateName, f: QueryFilter): boolean {
  const any = (candidates: (string | undefined)[]) =>
    candidates.some((c) => c !== undefined && f.values.some((v) => wildcard(v).test(c)));
  if (f.name.startsWith('tag:')) {
    const key = f.name.slice(4);
    return any(i.tags.filter((t) => t.key === key).map((t) => t.value));
  }
  switch (f.name) {
    case 'instance-state-name':
      return any([state]);
    case 'instance-id':
      return any([i.id]);
    case 'instance-type':
      return any([i.instanceType]);
    case 'availability-zone':
      return any([i.zone]);
    case 'tag-key':
      return any(i.tags.map((t) => t.key));
    default:
      return any([i.clientToken]);
  }
}

function wildcard(pattern: string): RegExp {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`);
}
