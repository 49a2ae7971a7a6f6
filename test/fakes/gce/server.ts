import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, type Random, seededRandom, systemClock } from '../../../engine/index.js';
import { type FaultOptions, Faults } from '../faults/index.js';
import { answerWithFaults, type CallFault, LoopbackServer, readBody } from '../http/index.js';
import { GceApiError, notFound } from './api-error.js';
import { ComputeStore, type GceInstance, type GceTiming } from './compute-store.js';
import { matchesFilter, parseFilter } from './list-filter.js';
import { instanceJson, operationJson } from './resource-json.js';

/** One request as the server saw it; `action` is the API method, e.g. `instances.insert`. */
export interface GceCall {
  action: string;
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  fault?: CallFault;
  /** HTTP status of an error answer, if any. */
  status?: number;
}

export interface FakeComputeOptions {
  clock?: Clock;
  random?: Random;
  timing?: Partial<GceTiming>;
  /** Longest time `zoneOperations.wait` blocks before answering with a running operation (GCE: 2 min). */
  maxWaitMs?: number;
  faults?: FaultOptions;
  /** The private address of the n-th instance (default 10.128.x.y); loopback when its agent runs on this host. */
  privateIp?: (seq: number) => string;
}

const MUTATING = new Set(['instances.insert', 'instances.delete']);
const PAGE = 500;

/**
 * An HTTP server on 127.0.0.1 speaking enough of the Compute Engine REST API v1 for the REST transport of
 * `@google-cloud/compute` (InstancesClient, ZoneOperationsClient): instances insert / get / list /
 * aggregatedList / delete and zone operations get / wait, with fault injection and a record of every call.
 * Requests need a bearer token (any; see {@link fakeGoogleAuthClient}).
 */
export class FakeComputeServer {
  readonly calls: GceCall[] = [];
  readonly faults: Faults;
  readonly store: ComputeStore;
  private readonly clock: Clock;
  private readonly maxWaitMs: number;
  private readonly http: LoopbackServer;

  private constructor(options: FakeComputeOptions) {
    this.clock = options.clock ?? systemClock;
    this.faults = new Faults(this.clock, options.random ?? seededRandom(1), options.faults);
    this.store = new ComputeStore(
      () => this.clock.now(),
      {
        insertMs: 20,
        bootMs: 20,
        deleteMs: 20,
        ...options.timing,
      },
      options.privateIp,
    );
    this.maxWaitMs = options.maxWaitMs ?? 2_000;
    this.http = new LoopbackServer((req, res) => void this.handle(req, res));
  }

  static async start(options: FakeComputeOptions = {}): Promise<FakeComputeServer> {
    const server = new FakeComputeServer(options);
    await server.http.listen();
    return server;
  }

  get port(): number {
    return this.http.port;
  }

  callsOf(action: string): GceCall[] {
    return this.calls.filter((c) => c.action === action);
  }

  /** Instances of `project` not yet deleted (a deleting one is STOPPING and still counts). */
  liveInstances(project: string): GceInstance[] {
    return this.store.list(project).filter((i) => this.store.statusOf(i) !== 'STOPPING');
  }

  /** Adds an instance directly, as if created outside infrabase (for orphan and foreign-instance tests). */
  seedInstance(project: string, zone: string, name: string, labels: Record<string, string>): GceInstance {
    const op = this.store.insert({
      project,
      zone,
      body: { name, machineType: `zones/${zone}/machineTypes/e2-small`, labels },
      hasCapacity: () => true,
    });
    return this.store.get(project, zone, op.targetName);
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const call: GceCall = {
      action: 'unknown',
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: text ? JSON.parse(text) : undefined,
    };
    this.calls.push(call);
    const route = routeOf(call.method, url.pathname);
    call.action = route?.action ?? 'unknown';
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(body);
    };
    await answerWithFaults(this.faults, req.socket, {
      call,
      action: call.action,
      mutating: MUTATING.has(call.action),
      refusal: () => {
        if (!req.headers.authorization?.startsWith('Bearer ')) {
          return new GceApiError(401, 'required', 'Request is missing required authentication credential.');
        }
        return route ? undefined : notFound(url.pathname);
      },
      throttled: () => new GceApiError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits'),
      serverError: () => new GceApiError(503, 'backendError', 'Internal error. Please try again.'),
      isApiError: (err) => err instanceof GceApiError,
      dispatch: () => this.dispatch(route as Route, call),
      fail: (e) => {
        call.status = e.status;
        send(e.status, e.body());
      },
      succeed: (body) => send(200, JSON.stringify(body)),
    });
  }

  private async dispatch(route: Route, call: GceCall): Promise<unknown> {
    const { project, zone = '', name = '' } = route;
    const q = call.query;
    switch (route.action) {
      case 'instances.insert': {
        const op = this.store.insert({
          project,
          zone,
          requestId: q.requestId,
          body: (call.body ?? {}) as never,
          hasCapacity: (type, z) => this.faults.hasCapacity(type, z),
        });
        if (op.error) call.fault = 'capacity';
        return operationJson(this.store, op);
      }
      case 'instances.delete':
        return operationJson(this.store, this.store.delete(project, zone, name, q.requestId));
      case 'instances.get':
        return instanceJson(this.store, this.store.get(project, zone, name));
      case 'instances.list':
        return this.page(this.store.list(project, zone), q, (items) => ({
          kind: 'compute#instanceList',
          items,
        }));
      case 'instances.aggregatedList':
        return this.page(this.store.list(project), q, (items) => {
          const byZone: Record<string, { instances: unknown[] }> = {};
          for (const i of items as { zone: string }[]) {
            const key = `zones/${i.zone.split('/').pop()}`;
            byZone[key] ??= { instances: [] };
            byZone[key].instances.push(i);
          }
          return { kind: 'compute#instanceAggregatedList', items: byZone };
        });
      case 'zoneOperations.get':
        return operationJson(this.store, this.store.operation(project, zone, name));
      default: {
        const op = this.store.operation(project, zone, name);
        const remaining = op.doneAt - this.clock.now();
        if (remaining > 0 && this.maxWaitMs > 0) await this.clock.sleep(Math.min(remaining, this.maxWaitMs));
        return operationJson(this.store, op);
      }
    }
  }

  private page(
    instances: GceInstance[],
    q: Record<string, string>,
    wrap: (items: Record<string, unknown>[]) => Record<string, unknown>,
  ): Record<string, unknown> {
    const terms = q.filter ? parseFilter(q.filter) : [];
    const matching = instances.filter((i) =>
      matchesFilter(terms, (field) => {
        if (field.startsWith('labels.')) return i.labels[field.slice(7)];
        if (field === 'name') return i.name;
        if (field === 'status') return this.store.statusOf(i);
        throw new GceApiError(400, 'invalid', `Invalid value for field 'filter': unknown field '${field}'.`);
      }),
    );
    const max = Math.min(Number(q.maxResults ?? PAGE), PAGE);
    const start = Number(q.pageToken ?? 0);
    const items = matching.slice(start, start + max).map((i) => instanceJson(this.store, i));
    const next = start + max < matching.length ? { nextPageToken: String(start + max) } : {};
    return { ...wrap(items), ...next };
  }
}

interface Route {
  action: string;
  project: string;
  zone?: string;
  name?: string;
}

function routeOf(method: string, path: string): Route | undefined {
  const p = path
    .replace(/^\/compute\/v1\//, '')
    .split('/')
    .map(decodeURIComponent);
  if (p[0] !== 'projects' || !p[1]) return undefined;
  const project = p[1];
  if (p[2] === 'aggregated' && p[3] === 'instances' && p.length === 4 && method === 'GET') {
    return { action: 'instances.aggregatedList', project };
  }
  if (p[2] !== 'zones' || !p[3]) return undefined;
  const zone = p[3];
  if (p[4] === 'instances') {
    if (p.length === 5) {
      if (method === 'POST') return { action: 'instances.insert', project, zone };
      if (method === 'GET') return { action: 'instances.list', project, zone };
    }
    if (p.length === 6 && method === 'GET') return { action: 'instances.get', project, zone, name: p[5] };
    if (p.length === 6 && method === 'DELETE')
      return { action: 'instances.delete', project, zone, name: p[5] };
  }
  if (p[4] === 'operations' && p[5]) {
    if (p.length === 6 && method === 'GET')
      return { action: 'zoneOperations.get', project, zone, name: p[5] };
    if (p.length === 7 && p[6] === 'wait' && method === 'POST') {
      return { action: 'zoneOperations.wait', project, zone, name: p[5] };
    }
  }
  return undefined;
}
