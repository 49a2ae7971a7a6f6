import { createHash } from 'node:crypto';
import type { Ec2StateName } from './xml.js';

/** An error the EC2 API answers with: its code, message and HTTP status. */
export class Ec2ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface Ec2Instance {
  readonly id: string;
  readonly reservationId: string;
  readonly imageId: string;
  readonly instanceType: string;
  readonly zone: string;
  readonly subnetId?: string;
  readonly securityGroupIds: string[];
  readonly keyName?: string;
  /** Base64, as sent. */
  readonly userData?: string;
  readonly tags: { key: string; value: string }[];
  readonly clientToken?: string;
  readonly privateIp: string;
  readonly publicIp: string;
  /** ms since the epoch. */
  readonly launchedAt: number;
  /** When TerminateInstances was first called, ms since the epoch. */
  terminateRequestedAt?: number;
}

/** Lifecycle durations in ms, as on EC2: boot, shutdown, and how long terminated instances stay visible. */
export interface Ec2Timing {
  /** pending → running. */
  bootMs: number;
  /** shutting-down → terminated. */
  shutdownMs: number;
  /** terminated → gone from DescribeInstances (about an hour on EC2). */
  retentionMs: number;
}

export interface LaunchRequest {
  imageId: string;
  instanceType: string;
  zone: string;
  subnetId?: string;
  securityGroupIds: string[];
  keyName?: string;
  userData?: string;
  tags: { key: string; value: string }[];
  clientToken?: string;
  /** Canonical request parameters, compared for the same ClientToken. */
  fingerprint: string;
}

interface TokenRecord {
  fingerprint: string;
  reservationId: string;
  instanceId: string;
}

/**
 * The instances of one fake EC2 region. States are derived from timestamps on each read (no timers), so a
 * test may step an injected clock instead of waiting.
 */
export class Ec2InstanceStore {
  private readonly instances = new Map<string, Ec2Instance>();
  private readonly tokens = new Map<string, TokenRecord>();
  private seq = 0;

  constructor(
    private readonly now: () => number,
    readonly timing: Ec2Timing,
    /** The private address of the n-th instance (default 10.0.x.y). */
    private readonly privateIpOf: (seq: number) => string = (n) => `10.0.${(n >> 8) & 255}.${n & 255}`,
  ) {}

  /** The state at the current time, or `gone` once a terminated instance has aged out. */
  stateOf(i: Ec2Instance): Ec2StateName | 'gone' {
    const t = this.now();
    if (i.terminateRequestedAt !== undefined) {
      const terminatedAt = i.terminateRequestedAt + this.timing.shutdownMs;
      if (t >= terminatedAt + this.timing.retentionMs) return 'gone';
      return t >= terminatedAt ? 'terminated' : 'shutting-down';
    }
    return t >= i.launchedAt + this.timing.bootMs ? 'running' : 'pending';
  }

  /**
   * RunInstances for one instance. Same ClientToken and same parameters ⇒ the original reservation; same
   * token, other parameters ⇒ `IdempotentParameterMismatch`.
   */
  launch(req: LaunchRequest): { reservationId: string; instance: Ec2Instance } {
    if (req.clientToken !== undefined) {
      const prior = this.tokens.get(req.clientToken);
      if (prior) {
        if (prior.fingerprint !== req.fingerprint) {
          throw new Ec2ApiError(
            'IdempotentParameterMismatch',
            `The client token '${req.clientToken}' was already used with different request parameters.`,
          );
        }
        const instance = this.instances.get(prior.instanceId);
        if (instance) return { reservationId: prior.reservationId, instance };
      }
    }
    this.seq += 1;
    const hex = createHash('sha256').update(`${this.seq}`).digest('hex');
    const instance: Ec2Instance = {
      id: `i-${hex.slice(0, 17)}`,
      reservationId: `r-${hex.slice(17, 34)}`,
      imageId: req.imageId,
      instanceType: req.instanceType,
      zone: req.zone,
      subnetId: req.subnetId,
      securityGroupIds: req.securityGroupIds,
      keyName: req.keyName,
      userData: req.userData,
      tags: req.tags,
      clientToken: req.clientToken,
      privateIp: this.privateIpOf(this.seq),
      publicIp: `198.51.100.${this.seq % 250}`,
      launchedAt: this.now(),
    };
    this.instances.set(instance.id, instance);
    if (req.clientToken !== undefined) {
      this.tokens.set(req.clientToken, {
        fingerprint: req.fingerprint,
        reservationId: instance.reservationId,
        instanceId: instance.id,
      });
    }
    return { reservationId: instance.reservationId, instance };
  }

  /** An instance still visible to DescribeInstances, or `InvalidInstanceID.NotFound` / `.Malformed`. */
  find(id: string): Ec2Instance {
    if (!/^i-[0-9a-f]{8,17}$/.test(id)) {
      throw new Ec2ApiError('InvalidInstanceID.Malformed', `Invalid id: "${id}" (expecting "i-...")`);
    }
    const i = this.instances.get(id);
    if (!i || this.stateOf(i) === 'gone') {
      throw new Ec2ApiError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    }
    return i;
  }

  /** Every instance still visible, in launch order; aged-out ones are forgotten. */
  visible(): Ec2Instance[] {
    const out: Ec2Instance[] = [];
    for (const [id, i] of this.instances) {
      if (this.stateOf(i) === 'gone') this.instances.delete(id);
      else out.push(i);
    }
    return out;
  }

  /** Starts termination; returns the state before. Terminating a terminated instance is a no-op, as on EC2. */
  terminate(id: string): { previous: Ec2StateName; current: Ec2StateName } {
    const i = this.find(id);
    const previous = this.stateOf(i) as Ec2StateName;
    if (i.terminateRequestedAt === undefined) i.terminateRequestedAt = this.now();
    return { previous, current: this.stateOf(i) as Ec2StateName };
  }
}
