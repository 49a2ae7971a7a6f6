import { InfrabaseError } from '../../engine/index.js';

/** One concrete (instance type, zone) choice for a launch. Either may be undefined: the provider's default. */
export interface Placement {
  readonly instanceType?: string;
  readonly zone?: string;
}

/** The parts of a `sys_nodes` row that decide where a node may be placed. */
export interface PlacementSource {
  readonly instance_type: string | null;
  readonly zone: string | null;
  /** The row's `spec` JSON: `{"instance_types": [...], "zones": [...]}` lists alternatives. */
  readonly spec: string;
}

function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new InfrabaseError(
      'INVALID_SPEC',
      `sys_nodes.spec.${field} must be a non-empty array of non-empty strings, got ${JSON.stringify(value)}`,
    );
  }
  return value as string[];
}

/**
 * Every placement a row allows, most preferred first: instance types in the outer loop, zones in the inner,
 * so a capacity error moves to the next zone before the next type. The row's own `instance_type`/`zone`
 * columns lead when the spec lists do not name them.
 *
 * @throws InfrabaseError `INVALID_SPEC` when `spec` is not a JSON object or its lists are malformed.
 */
export function placementCandidates(row: PlacementSource): Placement[] {
  let spec: Record<string, unknown>;
  try {
    spec = JSON.parse(row.spec) as Record<string, unknown>;
  } catch (cause) {
    throw new InfrabaseError('INVALID_SPEC', `sys_nodes.spec is not JSON: ${row.spec}`, { cause });
  }
  const types = dedupe([
    row.instance_type ?? undefined,
    ...(stringList(spec.instance_types, 'instance_types') ?? []),
  ]);
  const zones = dedupe([row.zone ?? undefined, ...(stringList(spec.zones, 'zones') ?? [])]);
  const out: Placement[] = [];
  for (const instanceType of types) for (const zone of zones) out.push({ instanceType, zone });
  return out;
}

/** Keeps the first of each value; drops a leading undefined when concrete values follow. */
function dedupe(values: (string | undefined)[]): (string | undefined)[] {
  const concrete = values.filter((v): v is string => v !== undefined);
  if (concrete.length === 0) return [undefined];
  return [...new Set(concrete)];
}

/** Key of a (provider, instance type, zone) triple in the capacity cool-off table. */
export function capacityKey(provider: string, p: Placement): string {
  return `${provider}/${p.instanceType ?? '*'}/${p.zone ?? '*'}`;
}

/**
 * (provider, instance type, zone) triples that recently answered `INSUFFICIENT_CAPACITY`, each unavailable
 * until its cool-off ends. Time is passed in (ms since the epoch).
 */
export class CapacityCooloff {
  private readonly until = new Map<string, number>();

  constructor(readonly cooloffMs: number) {}

  /** Marks the placement unavailable until `now + cooloffMs`. @returns that time. */
  mark(provider: string, p: Placement, now: number): number {
    const end = now + this.cooloffMs;
    this.until.set(capacityKey(provider, p), end);
    return end;
  }

  /** The end of the placement's cool-off (ms), or undefined if it is available at `now`. */
  coolingUntil(provider: string, p: Placement, now: number): number | undefined {
    const key = capacityKey(provider, p);
    const end = this.until.get(key);
    if (end === undefined) return undefined;
    if (end <= now) {
      this.until.delete(key);
      return undefined;
    }
    return end;
  }
}

export type PlacementChoice =
  | { readonly kind: 'chosen'; readonly index: number; readonly placement: Placement }
  | { readonly kind: 'cooling'; readonly retryAt: number };

/**
 * Picks the first candidate not cooling off at `now`; otherwise says when the first one becomes available.
 * Pure apart from reading (and pruning) the cool-off table.
 */
export function choosePlacement(
  provider: string,
  candidates: readonly Placement[],
  cooloff: CapacityCooloff,
  now: number,
): PlacementChoice {
  let retryAt = Number.POSITIVE_INFINITY;
  for (let index = 0; index < candidates.length; index++) {
    const end = cooloff.coolingUntil(provider, candidates[index], now);
    if (end === undefined) return { kind: 'chosen', index, placement: candidates[index] };
    retryAt = Math.min(retryAt, end);
  }
  return { kind: 'cooling', retryAt };
}

/** Human-readable `type in zone`, for status reasons. */
export function describePlacement(p: Placement): string {
  return `${p.instanceType ?? 'default type'} in ${p.zone ?? 'default zone'}`;
}
