import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../agent/index.js';
import { startTestControlPlane } from '../support/control-plane.js';
import { tempDir } from '../support/tmp.js';

/**
 * The Grafana dashboard in the repo (docs/grafana/infrabase.json): every PromQL expression parses and names only
 * metrics that the control plane's or an agent's registry exports — names taken from the running registries,
 * so a renamed or removed metric fails here.
 */
const DASHBOARD = join(import.meta.dirname, '../../docs/grafana/infrabase.json');

interface Panel {
  type: string;
  title: string;
  panels?: Panel[];
  targets?: { expr?: string }[];
}

/** An expression as Grafana sends it: its range macros replaced by durations. */
function asPromQL(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, (_m, v: string) =>
    v === 'range' ? '1h' : '5m',
  );
}

/** Every panel of the dashboard, rows' nested panels included. */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** The metric names a PromQL expression selects, from the lezer-promql syntax tree; errors named. */
function selectedMetrics(expr: string): { names: string[]; errors: string[] } {
  const names: string[] = [];
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(`syntax error at ${node.from}: ${expr.slice(node.from, node.from + 20)}`);
      if (node.name === 'VectorSelector') {
        const id = node.node.getChild('Identifier');
        if (id) names.push(expr.slice(id.from, id.to));
        else errors.push(`selector without a metric name: ${expr.slice(node.from, node.to)}`);
      }
    },
  });
  return { names, errors };
}

/** The series names a registry exposes: histograms as `_bucket`/`_sum`/`_count`, summaries with `_sum`/`_count`. */
async function exportedNames(registry: Registry): Promise<string[]> {
  const out: string[] = [];
  for (const m of await registry.getMetricsAsJSON()) {
    const type = String(m.type);
    if (type === 'histogram') out.push(`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`);
    else if (type === 'summary') out.push(m.name, `${m.name}_sum`, `${m.name}_count`);
    else out.push(m.name);
  }
  return out;
}

const tmp = tempDir('infrabase-dashboard-');
let exported: Set<string>;
let cleanup: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const { cp, close } = await startTestControlPlane();
  // An agent that never joins (its join token is refused) still declares and serves its metrics.
  const agent = await runAgent({
    controlPlaneUrl: cp.url,
    nodeId: 'n-dashboard',
    joinToken: 'not-a-valid-join-token',
    dataDir: join(tmp.dir, 'agent'),
    onError: () => undefined,
    log: () => undefined,
  });
  cleanup = async () => {
    await agent.stop();
    await close();
  };
  exported = new Set([
    ...(await exportedNames(cp.context.registry)),
    ...(await exportedNames(agent.registry)),
  ]);
}, 60_000);

afterAll(async () => {
  await cleanup?.();
  tmp.cleanup();
}, 30_000);

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const panels = allPanels(dashboard.panels);
  const exprs = panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: asPromQL(t.expr ?? '') })),
  );

  it('has a row for nodes, reconcile, SQL, PREDICT, shards and training, each with panels querying Prometheus', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['Nodes', 'Reconcile', 'SQL', 'PREDICT', 'Shards', 'Training']);
    expect(exprs.length).toBeGreaterThanOrEqual(rows.length);
    expect(exprs.filter((e) => !e.expr)).toEqual([]);
  });

  it('names in every expression only metrics the control plane or an agent exports', () => {
    expect(exported.has('infrabase_sql_statements_total')).toBe(true);
    const problems: string[] = [];
    for (const { panel, expr } of exprs) {
      const { names, errors } = selectedMetrics(expr);
      for (const e of errors) problems.push(`${panel}: ${e}`);
      if (names.length === 0) problems.push(`${panel}: selects no metric: ${expr}`);
      for (const n of names) if (!exported.has(n)) problems.push(`${panel}: ${n} is not exported`);
    }
    expect(problems).toEqual([]);
  });

  it('finds a name that is not exported (the check can fail)', () => {
    expect(selectedMetrics('rate(infrabase_no_such_metric_total[5m])').names).toEqual([
      'infrabase_no_such_metric_total',
    ]);
    expect(exported.has('infrabase_no_such_metric_total')).toBe(false);
    expect(selectedMetrics('sum(rate(x[5m]').errors).not.toEqual([]);
  });

  it.skipIf(spawnSync('promtool', ['--version']).error !== undefined)(
    'passes promtool check rules with every expression as a recording rule',
    () => {
      const file = join(tmp.dir, 'rules.yml');
      const rules = exprs.map(
        (e, i) => `      - record: dashboard:expr_${i}\n        expr: ${JSON.stringify(e.expr)}`,
      );
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
  );
});
