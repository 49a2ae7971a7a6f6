/**
 * The control plane's side of federated training (the coordinator itself is ml/federated's): the service
 * that runs it, the HTTP transport it reaches the agents' training endpoints with, and the JSON client for
 * the agents' endpoints that the data layer and the table routes use too.
 */
export { AgentClient, type DataNode, type ReplyRecorder, readyDataNodes } from './agent-client.js';
export { type CoordinatorOptions, TrainingCoordinatorService } from './coordinator-service.js';
export { agentTrainingTransport } from './http-transport.js';
