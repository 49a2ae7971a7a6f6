export { type ApiTokens, ensureTokens, readTokens, type Scope, scopeOf, TOKENS_FILE } from './tokens.js';
