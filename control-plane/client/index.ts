export { ApiClient, type SqlResponse } from './api-client.js';
