import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** `nproc`, CPU model and date, for the head of a benchmark section. */
export function machineLine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `Machine: ${cpus().length} CPUs (${model}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`;
}

/** Replaces (or appends) the section between `<!-- key:start -->` and `<!-- key:end -->` of docs/benchmarks.md. */
export function writeSection(key: string, body: string): void {
  const file = 'docs/benchmarks.md';
  const section = `<!-- ${key}:start -->\n${body.trim()}\n<!-- ${key}:end -->`;
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const pattern = new RegExp(`<!-- ${key}:start -->[\\s\\S]*<!-- ${key}:end -->`);
  const after = pattern.test(before)
    ? before.replace(pattern, section)
    : `${before.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, after);
  console.log(section);
}
