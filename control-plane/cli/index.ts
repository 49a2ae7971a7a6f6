export { EXIT, reportFailure } from './output.js';
export { buildProgram, wantsJson } from './program.js';
