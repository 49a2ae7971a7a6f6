/** Reading the EC2 Query API's flattened form parameters (`Filter.1.Value.2=…`). */

/** Values of `Prefix.1`, `Prefix.2`, … in index order. */
export function listParam(params: URLSearchParams, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; i <= 1000; i++) {
    const v = params.get(`${prefix}.${i}`);
    if (v === null) break;
    out.push(v);
  }
  return out;
}

export interface QueryFilter {
  name: string;
  values: string[];
}

/** `Filter.N.Name` / `Filter.N.Value.M`. */
export function filtersParam(params: URLSearchParams): QueryFilter[] {
  const out: QueryFilter[] = [];
  for (let i = 1; i <= 200; i++) {
    const name = params.get(`Filter.${i}.Name`);
    if (name === null) break;
    out.push({ name, values: listParam(params, `Filter.${i}.Value`) });
  }
  return out;
}

export interface TagSpecification {
  resourceType: string;
  tags: { key: string; value: string }[];
}

/** `TagSpecification.N.ResourceType` / `TagSpecification.N.Tag.M.Key|Value`. */
export function tagSpecificationsParam(params: URLSearchParams): TagSpecification[] {
  const out: TagSpecification[] = [];
  for (let i = 1; i <= 50; i++) {
    const resourceType = params.get(`TagSpecification.${i}.ResourceType`);
    if (resourceType === null) break;
    const tags: { key: string; value: string }[] = [];
    for (let j = 1; j <= 50; j++) {
      const key = params.get(`TagSpecification.${i}.Tag.${j}.Key`);
      if (key === null) break;
      tags.push({ key, value: params.get(`TagSpecification.${i}.Tag.${j}.Value`) ?? '' });
    }
    out.push({ resourceType, tags });
  }
  return out;
}

/** A canonical string of every parameter except the ones named, for idempotency comparisons. */
export function canonicalParams(params: URLSearchParams, except: readonly string[]): string {
  return [...params.entries()]
    .filter(([k]) => !except.includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join('&');
}
