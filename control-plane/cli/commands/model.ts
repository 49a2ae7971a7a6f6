import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InfrabaseError } from '../../../engine/index.js';
import { type ConnectionFlags, connect, connectionOptions } from '../connection.js';
import { renderTable } from '../format.js';
import { integerFlag } from '../numeric-flags.js';

/** `infrabase model import NAME FILE.onnx`: stores an ONNX model in sys_models through the API. */
export function registerModel(program: Command): void {
  const model = program.command('model').description('manage ONNX models in sys_models');
  connectionOptions(
    model
      .command('import')
      .description('import an ONNX model (validated on insert; the next version unless --version)')
      .argument('<name>', "model name, used as PREDICT('name', ...)")
      .argument('<file>', 'an .onnx file (any producer: skl2onnx, PyTorch, XGBoost, …)')
      .option('--version <n>', 'explicit version (default: newest + 1)', integerFlag(1))
      .option('--features <list>', 'comma-separated feature (column) names, in input order'),
  ).action(
    async (name: string, file: string, flags: ConnectionFlags & { version?: number; features?: string }) => {
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
      process.stdout.write(`${renderTable(stored.columns, stored.rows)}\n`);
    },
  );
}
