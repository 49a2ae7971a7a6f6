#!/usr/bin/env node
import { isInfrabaseError } from '../engine/index.js';
import { buildProgram } from './cli/index.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    const message = isInfrabaseError(err)
      ? `${err.code}: ${err.message}`
      : ((err as Error)?.message ?? String(err));
    process.stderr.write(`infrabase: ${message}\n`);
    process.exit(1);
  });
