#!/usr/bin/env node
import { buildProgram, reportFailure, wantsJson } from './cli/index.js';

const program = buildProgram();
program.parseAsync(process.argv).catch((err: unknown) => {
  process.exit(reportFailure(err, wantsJson(program, process.argv.slice(2))));
});
