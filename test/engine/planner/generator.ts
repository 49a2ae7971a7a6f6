/**
 * A seeded generator of SELECTs in the planner's supported shapes over the fake cluster's tables (adult and
 * bank co-located on cid, jobs a reference table). Every statement whose answer has an order fixes it
 * completely (ORDER BY every result column), so a LIMIT picks the same rows on one database and on shards.
 */

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Generated {
  readonly sql: string;
  readonly params: unknown[];
  /** Whether the result order is fixed by ORDER BY. */
  readonly ordered: boolean;
}

const ADULT_GROUPS = ['a.sex', 'a.education', 'a.workclass', 'a.Y', 'a.age / 10', 'a.hours > 40'];
const ADULT_NUM = ['a.age', 'a.hours', 'a.capital_gain', 'a.ratio', 'a.fnlwgt', 'a.education_num'];
const BANK_GROUPS = ['b.job', 'b.marital', 'b.y', 'b.campaign % 3'];
const BANK_NUM = ['b.duration', 'b.euribor', 'b.campaign', 'b.age'];

export function generator(seed: number): () => Generated {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

  const from = (): { sql: string; groups: string[]; nums: string[] } => {
    switch (int(0, 4)) {
      case 0:
      case 1:
        return { sql: 'adult a', groups: ADULT_GROUPS, nums: ADULT_NUM };
      case 2:
        return { sql: 'bank b', groups: BANK_GROUPS, nums: BANK_NUM };
      case 3:
        return {
          sql: pick([
            'adult a JOIN bank b ON a.cid = b.cid',
            'bank b JOIN adult a ON b.cid = a.cid',
            'adult a LEFT JOIN bank b ON a.cid = b.cid',
          ]),
          groups: [...ADULT_GROUPS, ...BANK_GROUPS],
          nums: [...ADULT_NUM, ...BANK_NUM],
        };
      default:
        return {
          sql: pick([
            'bank b JOIN jobs j ON b.job = j.job',
            'bank b LEFT JOIN jobs j ON j.job = b.job',
            'jobs j JOIN bank b USING (job)',
            'bank b JOIN (SELECT job, manual, jid FROM jobs WHERE jid > 2) j ON j.job = b.job',
          ]),
          groups: [...BANK_GROUPS, 'j.manual', 'j.jid % 4'],
          nums: [...BANK_NUM, 'j.jid'],
        };
    }
  };
  const where = (f: { sql: string; nums: string[] }, params: unknown[]): string => {
    const conds: string[] = [];
    const n = int(0, 2);
    const key = f.sql.startsWith('adult') ? 'a.cid' : 'b.cid';
    for (let i = 0; i < n; i++) {
      switch (int(0, 6)) {
        case 0:
          conds.push(`${pick(f.nums)} > ${int(0, 60)}`);
          break;
        case 1:
          params.push(int(0, 1499));
          conds.push(`${key} = ?`);
          break;
        case 2:
          conds.push(`${key} IN (${int(0, 1499)}, ${int(0, 1499)}, '${int(0, 1499)}')`);
          break;
        case 3:
          conds.push(`${key} % 5 = ${int(0, 4)}`);
          break;
        case 4:
          conds.push(`${pick(f.nums)} IS NOT NULL`);
          break;
        case 5:
          conds.push(
            f.sql.includes('bank')
              ? `b.job IN (SELECT job FROM jobs WHERE manual = ${int(0, 1)})`
              : `a.sex = 'Female'`,
          );
          break;
        default:
          params.push(int(20, 50));
          conds.push(`${pick(f.nums)} < ?`);
      }
    }
    return conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
  };
  const agg = (nums: string[], key: string): string =>
    pick([
      'count(*)',
      `count(${pick(nums)})`,
      `sum(${pick(nums)})`,
      `total(${pick(nums)})`,
      `min(${pick(nums)})`,
      `max(${pick(nums)})`,
      `avg(${pick(nums)})`,
      `count(DISTINCT ${key})`,
      `avg(PREDICT('m', ${pick(nums)}, ${pick(nums)}))`,
      `sum(${pick(nums)}) / count(*)`,
      `max(${pick(nums)}) - min(${pick(nums)})`,
    ]);
  const limitClause = (params: unknown[]): string => {
    if (r() < 0.3) return '';
    if (r() < 0.5) {
      params.push(int(1, 15));
      return ' LIMIT ?';
    }
    return ` LIMIT ${int(1, 20)}${r() < 0.5 ? ` OFFSET ${int(0, 10)}` : ''}`;
  };
  /** ORDER BY `first` (if any), then every result position: a total order of the result rows. */
  const order = (n: number, first?: string): string => {
    const terms = Array.from(
      { length: n },
      (_, i) => `${i + 1}${pick(['', ' DESC', ' NULLS LAST', ' DESC NULLS FIRST'])}`,
    );
    return ` ORDER BY ${[...(first ? [first] : []), ...terms].join(', ')}`;
  };

  const rows = (): Generated => {
    const f = from();
    const params: unknown[] = [];
    const cols = Array.from({ length: int(1, 3) }, () =>
      pick([...f.nums, ...f.groups, `PREDICT('m', ${pick(f.nums)})`, `${pick(f.nums)} * 2 + 1`]),
    );
    const distinct = r() < 0.3;
    const w = where(f, params);
    const ordered = r() < 0.7;
    const tail = ordered ? order(cols.length) + limitClause(params) : '';
    return {
      sql: `SELECT ${distinct ? 'DISTINCT ' : ''}${cols.join(', ')} FROM ${f.sql}${w}${tail}`,
      params,
      ordered,
    };
  };
  const aggregate = (): Generated => {
    const f = from();
    const key = f.sql.startsWith('adult') ? 'a.cid' : 'b.cid';
    const params: unknown[] = [];
    const groups = Array.from({ length: int(0, 2) }, () => pick(f.groups));
    const distinctArg = r() < 0.5 ? key : pick(f.groups);
    const aggs = Array.from({ length: int(1, 3) }, () => agg(f.nums, distinctArg));
    const w = where(f, params);
    const having = groups.length && r() < 0.4 ? ` HAVING count(*) > ${int(1, 30)}` : '';
    const g = groups.length ? ` GROUP BY ${groups.join(', ')}` : '';
    const ordered = groups.length > 0 && r() < 0.6;
    const tail = ordered ? order(groups.length + aggs.length) + limitClause(params) : '';
    return {
      sql: `SELECT ${[...groups, ...aggs].join(', ')} FROM ${f.sql}${w}${g}${having}${tail}`,
      params,
      ordered,
    };
  };
  const subquery = (): Generated => {
    switch (int(0, 3)) {
      case 0:
        return {
          sql: `SELECT g, count(*), sum(n), max(n) FROM (SELECT a.education AS g, a.sex AS s, count(*) AS n FROM adult a GROUP BY a.education, a.sex) t GROUP BY g`,
          params: [],
          ordered: false,
        };
      case 1:
        return {
          sql: `SELECT count(*), avg(h), min(h) FROM (SELECT a.hours AS h, a.cid FROM adult a WHERE a.age > ${int(20, 60)}) t`,
          params: [],
          ordered: false,
        };
      case 2:
        return {
          sql: `SELECT c, count(*) FROM (SELECT a.cid AS c, count(*) AS n FROM adult a GROUP BY a.cid) t WHERE n > ${int(1, 4)} GROUP BY c ORDER BY 1, 2 LIMIT ${int(1, 10)}`,
          params: [],
          ordered: true,
        };
      default:
        return {
          sql: `SELECT * FROM (SELECT b.job AS j, avg(b.duration) AS d FROM bank b GROUP BY b.job) t WHERE d > ${int(200, 300)}`,
          params: [],
          ordered: false,
        };
    }
  };
  const union = (): Generated => {
    if (r() < 0.3) {
      return {
        sql: `SELECT a.sex, count(*) FROM adult a GROUP BY a.sex UNION ALL SELECT b.marital, count(*) FROM bank b WHERE b.age > ${int(20, 60)} GROUP BY b.marital ORDER BY 2 DESC, 1`,
        params: [],
        ordered: true,
      };
    }
    const t = r() < 0.5 ? 'UNION ALL' : 'UNION';
    const lim = r() < 0.5 ? ` ORDER BY 1, 2 LIMIT ${int(1, 30)}` : '';
    return {
      sql: `SELECT a.education, a.age FROM adult a WHERE a.age > ${int(60, 80)} ${t} SELECT b.education, b.age FROM bank b WHERE b.age > ${int(60, 80)}${lim}`,
      params: [],
      ordered: lim !== '',
    };
  };
  const reference = (): Generated => ({
    sql: `SELECT job, jid FROM jobs WHERE manual = ${int(0, 1)} ORDER BY jid`,
    params: [],
    ordered: true,
  });
  const star = (): Generated => {
    const params: unknown[] = [int(0, 1499)];
    return pick([
      {
        sql: 'SELECT * FROM bank b WHERE b.cid = ? ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9',
        params,
        ordered: true,
      },
      {
        sql: 'SELECT a.*, b.job FROM adult a JOIN bank b ON b.cid = a.cid WHERE a.cid = ?',
        params,
        ordered: false,
      },
      {
        sql: `SELECT DISTINCT a.education, a.sex FROM adult a WHERE a.age > ${int(20, 70)} ORDER BY 2 DESC, 1 LIMIT ${int(1, 12)} OFFSET ${int(0, 3)}`,
        params: [],
        ordered: true,
      },
      {
        sql: `SELECT a.sex, count(DISTINCT a.education), count(*), sum(a.hours) FROM adult a GROUP BY a.sex HAVING count(DISTINCT a.education) > ${int(3, 20)}`,
        params: [],
        ordered: false,
      },
      {
        sql: `SELECT c.cid, c.n, a.age FROM (SELECT b.cid, count(*) AS n FROM bank b GROUP BY b.cid) c JOIN adult a ON a.cid = c.cid WHERE c.n > ${int(1, 4)} ORDER BY 1, 2, 3 LIMIT ${int(1, 20)}`,
        params: [],
        ordered: true,
      },
    ]);
  };
  /** WITH: a generated statement as a CTE read once, or CTEs that filter, group and join. */
  const cte = (): Generated => {
    switch (int(0, 3)) {
      case 0: {
        const inner = r() < 0.5 ? rows() : aggregate();
        if (!/ LIMIT /.test(inner.sql)) {
          return { sql: `WITH q AS (${inner.sql}) SELECT * FROM q`, params: inner.params, ordered: false };
        }
        return inner;
      }
      case 1: {
        const params = [int(20, 60)];
        return {
          sql: `WITH f AS (SELECT a.cid, a.age, a.education FROM adult a WHERE a.age > ?) SELECT education, count(*), avg(age), max(cid) FROM f GROUP BY education`,
          params,
          ordered: false,
        };
      }
      case 2:
        return {
          sql: `WITH g AS (SELECT b.cid, count(*) AS n, max(b.duration) AS d FROM bank b GROUP BY b.cid), j AS (SELECT a.age, g.n, g.d FROM adult a JOIN g ON a.cid = g.cid WHERE a.hours > ${int(20, 50)}) SELECT count(*), sum(n), max(d), min(age) FROM j`,
          params: [],
          ordered: false,
        };
      default:
        return {
          sql: `WITH t AS (SELECT b.job AS job, avg(b.duration) AS d FROM bank b JOIN jobs j ON j.job = b.job WHERE j.manual = ${int(0, 1)} GROUP BY b.job) SELECT job, d FROM t WHERE d > ${int(200, 300)} ORDER BY 1`,
          params: [],
          ordered: true,
        };
    }
  };
  return () => {
    const x = r();
    if (x < 0.35) return rows();
    if (x < 0.77) return aggregate();
    if (x < 0.87) return subquery();
    if (x < 0.92) return union();
    if (x < 0.94) return reference();
    if (x < 0.97) return cte();
    return star();
  };
}
