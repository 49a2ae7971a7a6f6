/**
 * Runs the benchmarks one after another, each in its own process so none disturbs another's figures; each
 * writes its own section of docs/benchmarks.md. `npm run bench` runs them all; `npm run bench -- predict
 * training` runs the named ones. The mesh benchmarks need root and wireguard-go, and are skipped otherwise.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const helpers = new Set(['run', 'metrics-report', 'sql-guard-worker']);
const all = readdirSync(here)
  .filter((f) => f.endsWith('.js'))
  .map((f) => f.slice(0, -3))
  .filter((name) => !helpers.has(name))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ')}\n`);
  process.exit(2);
}
const isRoot = process.getuid?.() === 0;
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
  if (name.startsWith('mesh') && !isRoot) {
    process.stdout.write(`skip ${name}: needs root (network namespaces, wireguard-go)\n`);
    continue;
  }
  process.stdout.write(`\n=== ${name}\n`);
  const started = Date.now();
  const res = spawnSync(process.execPath, [join(here, `${name}.js`)], { stdio: 'inherit' });
  process.stdout.write(
    `=== ${name}: ${res.status === 0 ? 'ok' : `failed (${res.status ?? res.signal})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  if (res.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
