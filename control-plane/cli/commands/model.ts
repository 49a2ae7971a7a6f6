import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InfrabaseError, MODEL_STATUSES } from '../../../engine/index.js';
import type { ApiClient } from '../../client/index.js';
import { type ConnectionFlags, connect, connectionOptions } from '../connection.js';
import { enumOption } from '../enum-flags.js';
import { formatAge, renderTable } from '../format.js';
import { integerFlag } from '../numeric-flags.js';
import { jsonOption, type OutputFlags, printResult } from '../output.js';

type ModelFlags = ConnectionFlags & OutputFlags;

/** The `sys_models` columns `model list` and `model import` show (never the ONNX bytes), in JSON order. */
const MODEL_COLUMNS = [
  'name',
  'version',
  'status',
  'task',
  'opset',
  'sha256',
  'feature_names',
  'created_by',
  'created_at',
];

/**
 * `infrabase model import NAME FILE.onnx`, `model list [NAME]` and `model rm NAME [--version N]`: the ONNX
 * models of `sys_models`, through the API.
 */
export function registerModel(program: Command): void {
  const model = program.command('model').description('manage ONNX models in sys_models');
  registerImport(model);
  registerList(model);
  registerRemove(model);
}

function registerImport(model: Command): void {
  command(
    model
      .command('import')
      .description('import an ONNX model (validated on insert; the next version unless --version)')
      .argument('<name>', "model name, used as PREDICT('name', ...)")
      .argument('<file>', 'an .onnx file (any producer: skl2onnx, PyTorch, XGBoost, …)')
      .option('--version <n>', 'explicit version (default: newest + 1)', integerFlag(1))
      .option('--features <list>', 'comma-separated feature (column) names, in input order'),
  ).action(
    async (name: string, file: string, flags: ModelFlags & { version?: number; features?: string }) => {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (err) {
        throw new InfrabaseError('INVALID_ARGUMENT', `cannot read ${file}: ${(err as Error).message}`);
      }
      const features = flags.features?.split(',').map((f) => f.trim());
      const client = connect(flags);
      await client.sql('INSERT INTO sys_models (name, version, onnx, feature_names) VALUES (?, ?, ?, ?)', [
        name,
        flags.version ?? null,
        { $base64: bytes.toString('base64') },
        features ? JSON.stringify(features) : null,
      ]);
      const stored = await client.sql(
        `SELECT name, version, task, opset, substr(sha256, 1, 12) AS sha256, feature_names,
              row_independent FROM sys_models
        WHERE name = ? AND sha256 = ? ORDER BY id DESC LIMIT 1`,
        [name, createHash('sha256').update(bytes).digest('hex')],
      );
      printResult(
        flags,
        () => Object.fromEntries(stored.columns.map((c, i) => [c, stored.rows[0]?.[i]])),
        () => renderTable(stored.columns, stored.rows),
      );
    },
  );
}

function registerList(model: Command): void {
  command(
    model
      .command('list')
      .description('list the models, one line per version (newest version of each name last)')
      .argument('[name]', 'only the versions of this model')
      .addOption(enumOption('--status <status>', 'only models in this status', MODEL_STATUSES)),
  ).action(async (name: string | undefined, flags: ModelFlags & { status?: string }) => {
    const client = connect(flags);
    const models = await listModels(client, name, flags.status);
    printResult(
      flags,
      () => models,
      () => {
        if (models.length === 0) return name ? `No model named ${name}.` : 'No models.';
        const now = Date.now();
        return renderTable(
          ['NAME', 'VERSION', 'STATUS', 'TASK', 'OPSET', 'SHA256', 'CREATED BY', 'AGE'],
          models.map((m) => [
            m.name,
            m.version,
            m.status,
            m.task ?? '<none>',
            m.opset ?? '<none>',
            String(m.sha256 ?? '').slice(0, 12),
            m.created_by,
            formatAge(now - (m.created_at as number)),
          ]),
          { style: 'plain' },
        );
      },
    );
  });
}

function registerRemove(model: Command): void {
  command(
    model
      .command('rm')
      .description('delete a model: every version, or one with --version')
      .argument('<name>', 'model name')
      .option('--version <n>', 'only this version (default: every version)', integerFlag(1)),
  ).action(async (name: string, flags: ModelFlags & { version?: number }) => {
    const client = connect(flags);
    const res = await client.sql(
      `DELETE FROM sys_models WHERE name = ?${flags.version === undefined ? '' : ' AND version = ?'} RETURNING version`,
      flags.version === undefined ? [name] : [name, flags.version],
    );
    if (res.rows.length === 0) {
      const known = await listModels(client, name);
      throw new InfrabaseError(
        'NOT_FOUND',
        flags.version === undefined || known.length === 0
          ? `no model named '${name}'`
          : `model '${name}' has no version ${flags.version}; versions: ${known.map((m) => m.version).join(', ')}`,
      );
    }
    const versions = (res.rows as [number][]).map(([v]) => v).sort((a, b) => a - b);
    printResult(
      flags,
      () => ({ name, deleted: versions }),
      () => `model ${name}: deleted version${versions.length === 1 ? '' : 's'} ${versions.join(', ')}`,
    );
  });
}

/** A model subcommand's shared flags: `--json` and the connection flags. */
const command = (c: Command) => connectionOptions(jsonOption(c));

/** `sys_models` rows (without the ONNX bytes) as objects, by name then version. */
async function listModels(
  client: ApiClient,
  name?: string,
  status?: string,
): Promise<Record<string, unknown>[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (name !== undefined) {
    where.push('name = ?');
    params.push(name);
  }
  if (status !== undefined) {
    where.push('status = ?');
    params.push(status);
  }
  const res = await client.sql(
    `SELECT ${MODEL_COLUMNS.join(', ')} FROM sys_models ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY name, version`,
    params,
  );
  return res.rows.map((row) => Object.fromEntries(MODEL_COLUMNS.map((c, i) => [c, row[i]])));
}
