export { answerWithFaults, type CallFault, type FaultyExchange } from './answer-with-faults.js';
export { LoopbackServer, readBody } from './loopback-server.js';
