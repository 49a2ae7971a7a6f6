import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createErrorHandler, InfrabaseError } from '../../engine/index.js';

const apps: Array<ReturnType<typeof Fastify>> = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** A server whose one route throws `err`, and the internal faults its handler logged. */
async function serverThrowing(err: Error) {
  const logged: Error[] = [];
  const app = Fastify({ logger: false });
  apps.push(app);
  app.setErrorHandler(createErrorHandler((e) => logged.push(e), 'the agent log'));
  app.get('/boom', async () => {
    throw err;
  });
  const res = await app.inject({ method: 'GET', url: '/boom' });
  return { status: res.statusCode, body: res.json() as { error: { code: string; message: string } }, logged };
}

describe('createErrorHandler', () => {
  it('answers an unexpected fault INTERNAL without its message, and logs it', async () => {
    const fault = new Error('open /var/lib/node/shard.db: key=abc123');
    const { status, body, logged } = await serverThrowing(fault);
    expect(status).toBe(500);
    expect(body.error).toEqual({ code: 'INTERNAL', message: 'internal error; see the agent log' });
    expect(logged).toEqual([fault]);
  });

  it('keeps an InfrabaseError and maps a SQLite error by its code', async () => {
    const denied = await serverThrowing(new InfrabaseError('UNAUTHENTICATED', 'agent has not joined yet'));
    expect(denied.status).toBe(401);
    expect(denied.body.error.message).toBe('agent has not joined yet');
    const db = new Database(':memory:');
    let sqlite: Error | undefined;
    try {
      db.prepare('SELECT * FROM missing').all();
    } catch (err) {
      sqlite = err as Error;
    }
    db.close();
    const bad = await serverThrowing(sqlite!);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({ code: 'SQL_ERROR', message: 'no such table: missing' });
    expect(bad.logged).toEqual([]);
  });
});
