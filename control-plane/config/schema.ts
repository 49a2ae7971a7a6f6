import { z } from 'zod';
import { MAX_TIMER_MS } from '../../engine/index.js';
import { DEFAULT_MAX_TENSOR_BYTES } from '../../ml/index.js';
import { strictObject } from './strict.js';

/** The levels of `log.level` (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const ms = (def: number) => z.number().int().nonnegative().default(def);

/** Settings of the local provider: agents run as child processes on loopback. */
export const localProviderSchema = strictObject({
  /** The agent's host address; loopback unless the mesh replaces it. */
  host: z.string().default('127.0.0.1'),
  /** Argv prefix the agent is started under, `{nodeId}` replaced (e.g. `ip netns exec ns-{nodeId}`). */
  launcher: z.array(z.string().min(1)).default([]),
});

/** Settings of the AWS EC2 provider. Credentials come only from the SDK's default chain. */
export const awsProviderSchema = strictObject({
  /** Launch `provider = 'aws'` rows (and collect orphans in the account). */
  enabled: z.boolean().default(false),
  region: z.string().default('us-east-1'),
  /** Overrides the EC2 endpoint (tests point it at a local server). */
  endpoint: z.string().url().optional(),
  imageId: z.string().optional(),
  instanceType: z.string().default('t3.small'),
  subnetId: z.string().optional(),
  securityGroupIds: z.array(z.string()).default([]),
  keyName: z.string().optional(),
  maxAttempts: z.number().int().min(1).max(10).default(3),
});

/** Settings of the GCP Compute provider. Credentials come only from Application Default Credentials. */
export const gcpProviderSchema = strictObject({
  /** Launch `provider = 'gcp'` rows (and collect orphans in the project); needs `project`. */
  enabled: z.boolean().default(false),
  project: z.string().optional(),
  zone: z.string().default('us-central1-a'),
  machineType: z.string().default('e2-small'),
  image: z.string().default('projects/debian-cloud/global/images/family/debian-12'),
  network: z.string().default('global/networks/default'),
  subnetwork: z.string().optional(),
  /** Overrides the API endpoint as `host:port` over plain HTTP (tests point it at a local server). */
  apiEndpoint: z.string().optional(),
});

export const configSchema = strictObject({
  /** Where the SQLite file, tokens and local agents' data dirs live. */
  dataDir: z.string().default('./infrabase-data'),
  host: z.string().default('127.0.0.1'),
  /** The URL nodes are told to reach the control plane at; default the listen address. */
  advertiseUrl: z.string().url().optional(),
  port: z.number().int().min(0).max(65535).default(7420),
  http: strictObject({
    /**
     * Largest request body the API accepts, bytes (models travel as base64 in SQL parameters: a 16 MiB body
     * carries a model of up to 12 MiB). Larger bodies are answered 400 before they are buffered further.
     */
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024)
      .default(16 * 1024 * 1024),
  }).prefault({}),
  log: strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).prefault({}),
  sql: strictObject({
    /** Worker processes that run user SQL. */
    workers: z.number().int().min(1).max(64).default(2),
    /** Default statement time limit. */
    timeoutMs: z.number().int().min(1).default(30_000),
    /** The largest limit a request may ask for (at most 2^31 - 1 ms, the longest timer Node.js keeps). */
    maxTimeoutMs: z.number().int().min(1).max(MAX_TIMER_MS).default(300_000),
  })
    .refine((sql) => sql.timeoutMs <= sql.maxTimeoutMs, {
      message: 'timeoutMs must not exceed maxTimeoutMs',
      path: ['timeoutMs'],
    })
    .prefault({}),
  predict: strictObject({
    /**
     * Largest tensor a model may hold, declare or output, in bytes (default 256 MiB): a bigger model is refused
     * at import, a bigger PREDICT output is a `MODEL_ERROR`. The control plane passes it to its SQL workers
     * (`userSqlPool`'s `predict`) and to the local agents it starts (their environment, agent/predict-env.ts).
     */
    maxTensorBytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(DEFAULT_MAX_TENSOR_BYTES),
    /**
     * Data-segment limit (RLIMIT_DATA) of each SQL worker process, in bytes (default 4 GiB; 0: none): an
     * onnxruntime allocation past it fails as a `MODEL_ERROR` instead of the worker being killed. Passed to
     * the workers like `maxTensorBytes`.
     */
    workerMemoryBytes: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .default(4 * 1024 * 1024 * 1024),
    /**
     * Batch PREDICT in the native SQLite extension when it was built (default true); false keeps batching in
     * JavaScript, with the same results. Passed to the SQL workers and the local agents like `maxTensorBytes`.
     */
    nativeBatching: z.boolean().default(true),
  }).prefault({}),
  postgres: strictObject({
    /** Serve the Postgres wire protocol beside the HTTP API. */
    enabled: z.boolean().default(true),
    /** Listen address; default the HTTP API's `host` (loopback unless changed). */
    host: z.string().optional(),
    /** Listen port; default 5433, or 0 (a free port) when the HTTP `port` is 0. */
    port: z.number().int().min(0).max(65535).optional(),
    tls: strictObject({
      /** PEM certificate (chain) file; with keyFile. Neither: a self-signed one in `<dataDir>/pg-tls/`. */
      certFile: z.string().optional(),
      /** PEM private key file; with certFile. */
      keyFile: z.string().optional(),
      /** Refuse connections that do not negotiate TLS (`sslmode=require` or stricter). */
      required: z.boolean().default(false),
    }).prefault({}),
  }).prefault({}),
  providers: strictObject({
    local: localProviderSchema.prefault({}),
    aws: awsProviderSchema.prefault({}),
    gcp: gcpProviderSchema.prefault({}),
  }).prefault({}),
  reconciler: strictObject({
    concurrency: z.number().int().min(1).max(256).default(8),
    resyncIntervalMs: ms(30_000),
    heartbeatIntervalMs: ms(2_000),
    /**
     * The port agents listen on (their API and `/metrics`), sent in the boot data; 0: each agent picks a free
     * one. Local agents share the host's ports unless a `launcher` puts each in its own network namespace.
     */
    agentPort: z.number().int().min(0).max(65535).default(0),
    /** A ready node with no heartbeat for this long becomes `unreachable`. */
    heartbeatTimeoutMs: ms(10_000),
    /** A launched node with no heartbeat this long after its launch began is deleted and launched again. */
    registrationTimeoutMs: z.number().int().min(1).default(900_000),
    /** Lifetime of a launch's join token, counted from the launch (`sys_nodes.launched_at`). */
    joinTokenTtlMs: z.number().int().min(1).default(3_600_000),
    /**
     * Lifetime of a node token, refreshed by every heartbeat: how long an agent cut off from the control plane
     * can still come back (its join token is spent by then).
     */
    nodeTokenTtlMs: z.number().int().min(1).default(86_400_000),
    orphanGracePeriodMs: ms(60_000),
    capacityCooloffMs: ms(180_000),
    /** Per-provider token bucket: burst size and refill per second. */
    rateLimit: strictObject({
      burst: z.number().int().min(1).default(20),
      perSecond: z.number().positive().default(5),
    }).prefault({}),
  }).prefault({}),
  metrics: strictObject({
    sampleIntervalMs: ms(5_000),
    rawRetentionMs: ms(24 * 3_600_000),
    rollupRetentionMs: ms(30 * 24 * 3_600_000),
  }).prefault({}),
  /** The data layer of distributed tables (docs/distributed-tables.md). */
  distributed: strictObject({
    /** Shard moves (copies to a new placement) in flight at once. */
    maxConcurrentMoves: z.number().int().min(1).max(64).default(2),
    /**
     * Byte rate shared by all snapshot copies of moves, MiB/s (0: unlimited). The default is CockroachDB's
     * snapshot rebalance rate (32 MiB/s): a rebalance leaves disk and network to the foreground writes.
     */
    moveMaxMBPerSecond: z.number().min(0).max(100_000).default(32),
    /** A ready data node with no heartbeat for this long loses its placements (they re-replicate), ms. */
    nodeDeadAfterMs: z.number().int().min(1).default(30_000),
    /** Time between rebalancer passes when the last one took no step, ms. */
    rebalanceIntervalMs: z.number().int().min(1).default(1_000),
  }).prefault({}),
  mesh: strictObject({
    /** `auto`: on where the process may create interfaces, off (direct addresses) otherwise. */
    mode: z.enum(['auto', 'on', 'off']).default('auto'),
    cidr: z.string().default('10.88.0.0/16'),
    topology: z.enum(['hub', 'full']).default('hub'),
    listenPort: z.number().int().min(1).max(65535).default(51820),
  }).prefault({}),
});

/** The validated configuration; durations in milliseconds. */
export type Config = z.infer<typeof configSchema>;
/** What a user may write: every field optional. */
export type ConfigInput = z.input<typeof configSchema>;
