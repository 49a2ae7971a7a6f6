import { Command } from 'commander';
import { VERSION } from '../../engine/index.js';
import { registerAgent } from './commands/agent.js';
import { registerDemo } from './commands/demo.js';
import { registerDown } from './commands/down.js';
import { registerLoad } from './commands/load.js';
import { registerMesh } from './commands/mesh.js';
import { registerModel } from './commands/model.js';
import { registerNodes } from './commands/nodes.js';
import { registerSql } from './commands/sql.js';
import { registerStatus } from './commands/status.js';
import { registerTrain } from './commands/train.js';
import { registerUp } from './commands/up.js';

/** Set on the program once the command that runs asked for `--json`. */
const JSON_RUN = 'jsonRun';

/**
 * The `infrabase` command line. Each subcommand lives in its own file under commands/. Usage errors are thrown
 * (commander's `exitOverride`) so that bin.ts reports them like every other failure: text or, with `--json`,
 * the HTTP API's error body, and the exit codes of output.ts.
 */
export function buildProgram(argv: readonly string[] = process.argv.slice(2)): Command {
  const json = hasJsonFlag(argv);
  const program = new Command('infrabase')
    .description('a control plane in which the database is the infrastructure')
    .version(VERSION)
    // program options only before the subcommand, so `model import --version N` stays the subcommand's
    .enablePositionalOptions()
    .exitOverride()
    // With --json the error is printed as JSON by bin.ts, not as commander's text and help.
    .configureOutput(json ? { writeErr: () => undefined, outputError: () => undefined } : {})
    .showHelpAfterError(!json);
  program.hook('preAction', (_program, action) => {
    if (action.opts().json === true) program.setOptionValue(JSON_RUN, true);
  });
  registerStatus(program);
  registerNodes(program);
  registerUp(program);
  registerDown(program);
  registerSql(program);
  registerModel(program);
  registerAgent(program);
  registerDemo(program);
  registerMesh(program);
  registerLoad(program);
  registerTrain(program);
  return program;
}

/** Whether a failure of `program` run on `argv` is reported as JSON. */
export function wantsJson(program: Command, argv: readonly string[]): boolean {
  return program.getOptionValue(JSON_RUN) === true || hasJsonFlag(argv);
}

/** `--json` among the arguments before `--` (parsing may fail before any command ran). */
function hasJsonFlag(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}
