import { Command } from 'commander';
import { VERSION } from '../../engine/index.js';
import { registerAgent } from './commands/agent.js';
import { registerDemo } from './commands/demo.js';
import { registerDown } from './commands/down.js';
import { registerLoad } from './commands/load.js';
import { registerMesh } from './commands/mesh.js';
import { registerModel } from './commands/model.js';
import { registerSql } from './commands/sql.js';
import { registerTrain } from './commands/train.js';
import { registerUp } from './commands/up.js';

/** The `infrabase` command line. Each subcommand lives in its own file under commands/. */
export function buildProgram(): Command {
  const program = new Command('infrabase')
    .description('a control plane in which the database is the infrastructure')
    .version(VERSION)
    // program options only before the subcommand, so `model import --version N` stays the subcommand's
    .enablePositionalOptions()
    .showHelpAfterError();
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
