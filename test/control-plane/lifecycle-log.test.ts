import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-plane/index.js';
import { CatalogEventLog } from '../../control-plane/lifecycle-log/index.js';
import { createLogger } from '../../control-plane/logger.js';
import { openDatabase } from '../../engine/index.js';
import { startTestControlPlane } from '../support/control-plane.js';
import { stopLocalAgents } from '../support/local-agents.js';
import { waitFor } from '../support/tmp.js';

type Line = Record<string, unknown> & { msg: string; level: number; event?: string };

/** A pino logger at info level (the real configuration, redaction included) whose lines land in `lines`. */
function capture(): { lines: Line[]; raw: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: Line[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) {
        raw.push(text);
        lines.push(JSON.parse(text) as Line);
      }
      done();
    },
  });
  return { lines, raw, logger: createLogger('info', 'infrabase', stream) };
}

describe('node lifecycle logs of one scenario: launch, join, delete, termination', () => {
  const log = capture();
  let cp: ControlPlane;
  let dataDir: string;
  let close: () => Promise<void>;
  const secrets: string[] = [];
  const nodeId = 'n-logged';

  beforeAll(async () => {
    ({ cp, dataDir, close } = await startTestControlPlane(
      { reconciler: { heartbeatIntervalMs: 200, resyncIntervalMs: 500 } },
      { logger: log.logger },
    ));
    const db = cp.context.db;
    db.prepare("INSERT INTO sys_nodes (id, provider) VALUES (?, 'local')").run(nodeId);
    await waitFor(
      () => db.prepare("SELECT 1 FROM sys_nodes WHERE id = ? AND status = 'ready'").get(nodeId),
      60_000,
      50,
    );
    // The node token the agent holds, and the API tokens: none may appear in a log line.
    const stored = JSON.parse(readFileSync(join(dataDir, 'nodes', nodeId, 'node-token.json'), 'utf8'));
    secrets.push(cp.tokens.admin, cp.tokens.read, String(stored.nodeToken));
    db.prepare('DELETE FROM sys_nodes WHERE id = ?').run(nodeId);
    await waitFor(() => !db.prepare('SELECT 1 FROM sys_nodes WHERE id = ?').get(nodeId), 30_000, 50);
  }, 120_000);

  afterAll(async () => {
    if (cp) {
      await close();
      await stopLocalAgents(dataDir).catch(() => undefined);
    }
  }, 30_000);

  const events = () => log.lines.filter((l) => typeof l.event === 'string' && l.node === nodeId);

  it('logs the launch, the instance, the join, readiness, the drain and the termination in order, at info', () => {
    const kinds = events().map((l) => l.event);
    const order = [
      'node.launch',
      'node.launched',
      'node.join',
      'node.ready',
      'node.drain',
      'node.terminated',
    ];
    const positions = order.map((k) => kinds.indexOf(k));
    expect(
      positions.every((p) => p >= 0),
      `logged: ${kinds.join(', ')}`,
    ).toBe(true);
    // the instance may be recorded after the agent joined; everything else is in lifecycle order
    expect(positions[0]).toBeLessThan(positions[2]);
    expect([...positions].slice(2)).toEqual([...positions.slice(2)].sort((a, b) => a - b));
    expect(events().every((l) => l.level === 30)).toBe(true);
  });

  it('carries the node, launch, provider and instance ids', () => {
    const byEvent = Object.fromEntries(events().map((l) => [l.event, l]));
    const launch = byEvent['node.launch'].launch as string;
    expect(launch).toMatch(/^n-logged-1-\d+$/);
    expect(byEvent['node.launch']).toMatchObject({ provider: 'local', attempt: 1 });
    const instance = byEvent['node.launched'].instance as string;
    expect(instance).toMatch(/^local-[0-9a-f]{16}$/);
    expect(byEvent['node.join']).toMatchObject({ launch, provider: 'local', rejoin: false });
    expect(byEvent['node.terminated']).toMatchObject({ launch, instance });
    expect(byEvent['node.terminated'].reason).toContain(instance);
  });

  it('contains no token', () => {
    expect(secrets.every((s) => s.length >= 16)).toBe(true);
    for (const line of log.raw) {
      for (const secret of secrets) expect(line).not.toContain(secret);
      expect(line).not.toMatch(/Bearer|ib_admin_|ib_read_/);
    }
  });
});

describe('catalog events: scaling decisions, shard moves, training rounds and jobs', () => {
  it('logs each event recorded after it started once, with its ids', () => {
    const db = openDatabase(':memory:', { migrate: true });
    const log = capture();
    try {
      db.prepare(
        "INSERT INTO sys_scaling_events (ts, policy, action, nodes_before, nodes_after) VALUES (1, 'old', 'none', 1, 1)",
      ).run();
      const events = new CatalogEventLog(db, log.logger);
      db.prepare(
        `INSERT INTO sys_scaling_events (ts, policy, action, observed_value, nodes_before, nodes_after, node_ids, reason)
         VALUES (2, 'cpu-high', 'scale_out', 0.93, 1, 3, '["n-a","n-b"]', 'avg over 60000 ms > 0.8')`,
      ).run();
      db.prepare(
        "INSERT INTO sys_shards (colocation_group, shard, hash_min, hash_max) VALUES ('t', 0, 0, 4294967295)",
      ).run();
      db.prepare(
        "INSERT INTO sys_shard_moves (colocation_group, shard, kind, source_node, target_node, updated_at) VALUES ('t', 0, 'move', 'n-a', 'n-b', 10)",
      ).run();
      events.poll();
      db.prepare("UPDATE sys_shard_moves SET state = 'copying', updated_at = 11").run();
      events.poll();
      db.prepare("UPDATE sys_shard_moves SET state = 'done', bytes = 4096, updated_at = 12").run();
      const job = db
        .prepare(
          `INSERT INTO sys_training_jobs (model_name, training_sql, label_column, feature_columns, rounds, status, updated_at)
           VALUES ('m', 'SELECT * FROM t', 'y', '["x"]', 2, 'running', 20)`,
        )
        .run().lastInsertRowid;
      db.prepare(
        `INSERT INTO sys_training_rounds (job_id, round, participants, failures, examples, eval_accuracy, duration_ms)
         VALUES (?, 1, '["n-a","n-b"]', '[]', 150, 0.9, 40)`,
      ).run(job);
      db.prepare(
        "UPDATE sys_training_jobs SET status = 'succeeded', current_round = 2, model_version = 1, updated_at = 30",
      ).run();
      events.poll();
      events.poll();
      const lines = log.lines.map(({ level, time, pid, hostname, name, ...rest }) => rest);
      expect(lines).toEqual([
        {
          event: 'scaling.decision',
          policy: 'cpu-high',
          action: 'scale_out',
          metric: null,
          value: 0.93,
          nodesBefore: 1,
          nodesAfter: 3,
          nodesAdded: ['n-a', 'n-b'],
          reason: 'avg over 60000 ms > 0.8',
          msg: 'scaling policy cpu-high fired: scale_out',
        },
        {
          event: 'shard.move_planned',
          move: 1,
          group: 't',
          shard: 0,
          kind: 'move',
          source: 'n-a',
          target: 'n-b',
          reason: null,
          msg: 'shard move planned',
        },
        {
          event: 'shard.move_started',
          move: 1,
          group: 't',
          shard: 0,
          kind: 'move',
          source: 'n-a',
          target: 'n-b',
          state: 'copying',
          msg: 'shard move started',
        },
        {
          event: 'shard.move_done',
          move: 1,
          group: 't',
          shard: 0,
          kind: 'move',
          source: 'n-a',
          target: 'n-b',
          bytes: 4096,
          msg: 'shard move done',
        },
        {
          event: 'training.round',
          job: Number(job),
          model: 'm',
          round: 1,
          rounds: 2,
          shards: 2,
          failedShards: 0,
          examples: 150,
          trainLoss: null,
          evalAccuracy: 0.9,
          durationMs: 40,
          msg: 'training round 1 of 2 done',
        },
        {
          event: 'training.job_end',
          job: Number(job),
          model: 'm',
          strategy: 'fedavg',
          status: 'succeeded',
          round: 2,
          rounds: 2,
          modelVersion: 1,
          reason: null,
          msg: 'training job succeeded',
        },
      ]);
    } finally {
      db.close();
    }
  });
});
