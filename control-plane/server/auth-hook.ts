import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InfrabaseError } from '../../engine/index.js';
import { type ApiTokens, type Scope, scopeOf } from '../auth/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `public`: no API token (e.g. /healthz, or routes that check a join token themselves). */
    auth?: 'public';
  }
  interface FastifyRequest {
    /** The scope of the bearer token presented; undefined on public routes. */
    scope?: Scope;
  }
}

/**
 * Requires `Authorization: Bearer <token>` on every route not marked `config: { auth: 'public' }`.
 * 401 without a valid token.
 */
export function installAuth(app: FastifyInstance, tokens: ApiTokens): void {
  app.decorateRequest('scope', undefined);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.auth === 'public') return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const scope = match ? scopeOf(tokens, match[1]) : undefined;
    if (!scope) {
      throw new InfrabaseError(
        'UNAUTHENTICATED',
        match ? 'the bearer token is not valid' : 'missing "Authorization: Bearer <token>" header',
      );
    }
    request.scope = scope;
  });
}

/** @throws InfrabaseError `PERMISSION_DENIED` unless the request carries the admin token. */
export function requireAdmin(request: FastifyRequest): void {
  if (request.scope !== 'admin') {
    throw new InfrabaseError(
      'PERMISSION_DENIED',
      'this call needs the admin token; the read-only token was given',
    );
  }
}
