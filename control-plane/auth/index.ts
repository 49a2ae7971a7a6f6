export {
  type ApiTokens,
  constantTimeEqual,
  ensureTokens,
  readTokens,
  type Scope,
  scopeOf,
  TOKENS_FILE,
} from './tokens.js';
