/**
 * Configuration, read and validated once at the process edge (worker, CLI, dev stack) and passed
 * in; nothing below this reads the environment.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Links } from '../activities';
import { parseDuration, parseLimit } from '../activities/limits';
import type { Limits } from '../activities/ports';
import { MAX_TTL_BOUND_MS } from '../activities/adapters/jwt-operator-verifier';
import { connectionEnv, connections, parseEnv, type Connections } from '../activities/adapters/connections';
import { deriveProofKeys, MIN_KEY_BYTES, proofKeyPurposes, type ProofKeys } from '../activities/codes';
import { resolvePolicy, type Policy } from '../workflows/domain/policy';
import { ConfigError } from '../activities/config-error';
import { passwordPublicKey } from '../activities/adapters/password-seal';
import type { CamaraConfig } from '../activities/adapters/camara/camara-client';
import { DEFAULT_LINKED_ACK_BATCH_MS } from './ack-batcher';

/** The workflow thread's heap: a base (the bundle, the SDK) and what one cached change measured (issue 12). */
const HEAP_BASE_MB = 128;
const MB_PER_CACHED_CHANGE = 0.35;
/** About twice the measured figure: the default's margin. */
const DEFAULT_MB_PER_CACHED_CHANGE = 0.75;
const heapMb = (perChange: number, cached: number) => HEAP_BASE_MB + Math.ceil(perChange * cached);

const keyVar = (purpose: string) => `PROOF_KEY_${purpose.toUpperCase()}`;
const base64Key = (name: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/_-]+=*$/, `${name} must be base64`)
    .refine((v) => Buffer.from(v, 'base64').length >= MIN_KEY_BYTES, `${name} must decode to at least ${MIN_KEY_BYTES} bytes`);

/** For local development only: production must set PROOF_MASTER_KEY (the worker refuses to start without it). */
const DEV_MASTER_KEY = 'ZGV2ZWxvcG1lbnQtb25seS1tYXN0ZXIta2V5LW5ldmVyLWluLXByb2R1Y3Rpb24h';
/** The local stack's codec-server token: whoever runs the stack is the authorised engineer. */
const DEV_CODEC_TOKEN = 'dev-codec-token-local-only';

const schema = z.object({
  ...connectionEnv,
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'SMTP_URL must start with smtp:// or smtps://')
    .default('smtp://127.0.0.1:2525'),
  MAIL_FROM: z.string().min(3).default('"Госуслуги" <no-reply@phone-change.local>'),
  PROOF_MASTER_KEY: base64Key('PROOF_MASTER_KEY').optional(),
  ...Object.fromEntries(proofKeyPurposes.map((p) => [keyVar(p), base64Key(keyVar(p)).optional()])),
  POLICY: z.string().default('{}'),
  CODEC_SERVER_TOKENS: z.string().min(16, 'CODEC_SERVER_TOKENS: each token at least 16 characters').optional(),
  CODEC_SERVER_ORIGINS: z.string().default('http://localhost:8233,http://127.0.0.1:8233'),
  CODEC_SERVER_PORT: z.coerce.number().int().min(1).max(65535).default(8888),
  OPERATOR_JWT_PUBLIC_KEY: z.string().includes('BEGIN PUBLIC KEY', { message: 'OPERATOR_JWT_PUBLIC_KEY must be an SPKI PEM' }).optional(),
  OPERATOR_JWT_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  OPERATOR_JWT_ISSUER: z.string().min(1).default('phone-change-operators'),
  OPERATOR_JWT_AUDIENCE: z.string().min(1).default('phone-change'),
  OPERATOR_JWT_MAX_TTL: z.string().default('10m'),
  LIMIT_STARTS_PER_ACCOUNT: z.string().default('5/24h'),
  LIMIT_STARTS_PER_NUMBER: z.string().default('3/24h'),
  LIMIT_CODES_PER_NUMBER: z.string().default('10/1h'),
  LIMIT_WRONG_ENTRIES_PER_ACCOUNT: z.string().default('10/1h'),
  JOURNAL_URL: z.url().default('https://gosuslugi.ru/journal'),
  REJECT_URL: z.url().default('https://gosuslugi.ru/nm'),
  IDENTITY_URL: z.url().default('https://gosuslugi.ru/id'),
  LINKED_SERVICES: z
    .string()
    .regex(/^[a-z0-9_]+(,[a-z0-9_]+)*$/, 'LINKED_SERVICES must be comma-separated names of [a-z0-9_]')
    .default('sms_subscriptions,two_factor_login,bank_cards,e_service_subscriptions,mobile_app'),
  BRIDGES: z
    .string()
    .regex(/^((linked_acks|delivery_reports)(,(linked_acks|delivery_reports))*)?$/, 'BRIDGES must list linked_acks and/or delivery_reports')
    .default('linked_acks,delivery_reports'),
  // Issue 12, AFTER-1: acks of one sync within this window go as one signal; 0 = one signal per ack.
  LINKED_ACK_BATCH_MS: z.coerce.number().int().min(0).max(5000).default(DEFAULT_LINKED_ACK_BATCH_MS),
  SMS_GATEWAY: z.enum(['jetstream', 'smpp']).default('jetstream'),
  SMPP_URL: z
    .string()
    .regex(/^ssmpp?:\/\//, 'SMPP_URL must start with smpp:// or ssmpp://')
    .optional(),
  SMPP_SYSTEM_ID: z.string().min(1).optional(),
  SMPP_PASSWORD: z.string().optional(),
  SMPP_SOURCE_ADDR: z.string().min(1).max(11).default('Gosuslugi'),
  // SIG-1, SIG-2: the mobile operator's CAMARA APIs (checks are off without a URL).
  OPERATOR_API_URL: z.url().optional(),
  OPERATOR_API_TOKEN_URL: z.url().optional(),
  OPERATOR_API_CLIENT_ID: z.string().min(1).max(200).optional(),
  OPERATOR_API_CLIENT_SECRET: z.string().min(1).max(500).optional(),
  OPERATOR_API_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(3000),
  OPERATOR_API_ATTEMPTS: z.coerce.number().int().min(1).max(5).default(2),
  SIM_SWAP_MAX_AGE_HOURS: z.coerce.number().int().min(1).max(2400).default(72),
  OPERATOR_API_DOWN_RULE: z.enum(['hold', 'proceed_and_flag']).default('hold'),
  RECYCLING_SWEEP_BATCH: z.coerce.number().int().min(1).max(500).default(50),
  RECYCLING_SWEEP_PAUSE_MS: z.coerce.number().int().min(0).max(3_600_000).default(1000),
  RECYCLING_SWEEP_EVERY: z
    .string()
    .regex(/^\d+[smhd]$/, 'RECYCLING_SWEEP_EVERY: e.g. 24h')
    .default('24h'),
  // REC-1, REC-2: the worker's public password key for clients that hold no proof key (base64, 32 bytes).
  PASSWORD_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/_-]{43}=?$/, 'PASSWORD_PUBLIC_KEY must be 32 bytes in base64')
    .optional(),
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'METRICS_ADDRESS must be host:port (e.g. 0.0.0.0:9464)')
    .optional(),
  // Issue 12, worker tuning: README "Figures" says how these were chosen.
  // Not 0: the SDK then keeps no change between tasks, and a change's updates with their local
  // activities fail their workflow tasks (measured: updates refused, "Workflow Task in failed state"); the SDK's floor is 2.
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(2, 'WORKER_MAX_CACHED_WORKFLOWS must be at least 2 (with 0, no cache, changes fail their updates)').max(100_000).default(250),
  WORKER_WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(2).max(1000).default(40),
  WORKER_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(10_000).default(100),
  WORKER_LOCAL_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(10_000).default(100),
  WORKER_STICKY_QUEUE_TIMEOUT: z.string().default('3s'),
  WORKER_WORKFLOW_HEAP_MB: z.coerce.number().int().min(HEAP_BASE_MB).max(65_536).optional(),
  WORKER_WORKFLOW_STACK_TRACES: z.enum(['on', 'off'], { message: 'WORKER_WORKFLOW_STACK_TRACES must be on or off' }).default('off'),
  WORKER_RESOURCE_TUNER: z
    .string()
    .regex(/^0?\.\d+,0?\.\d+$/, 'WORKER_RESOURCE_TUNER must be targetMemory,targetCpu as fractions, e.g. 0.8,0.9')
    .optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

/** The worker's configuration: the settings every process shares (Connections) and the worker's own. */
export interface Config extends Connections {
  smtpUrl: string;
  mailFrom: string;
  /** SEC-5: the worker-only keys, one per purpose; no client holds any of them. */
  proofKeys: ProofKeys;
  proofKeysAreDevDefault: boolean;
  /** SEC-7: the change policy (defaults with POLICY's overrides, within bounds). */
  policy: Policy;
  /** Limits against abuse (max/window), shared by all workers through NATS. */
  limits: Limits;
  /** Operator credentials: the identity provider's public key (support actions are refused without it) and the longest lifetime accepted (SEC-6). */
  operators: { publicKeyPem?: string; issuer: string; audience: string; maxTtlMs?: number };
  /** SEC-4: who may decode through the codec server, and from which Web UI origins. */
  codecServer: { tokens: string[]; origins: string[]; port: number; tokensAreDevDefault: boolean };
  links: Links;
  /** AFTER-1: services told of every new number. */
  linkedServices: string[];
  /** Where SMS go: the JetStream outbox (gateways consume it) or an SMPP aggregator directly. */
  sms: { gateway: 'jetstream' } | { gateway: 'smpp'; url: string; systemId: string; password: string; sourceAddr: string };
  /** Which NATS bridges this process runs. */
  bridges: { linkedAcks: boolean; deliveryReports: boolean };
  /** Issue 12: how long the linked-ack bridge gathers one sync's acks into one signal (ms; 0: one signal per ack). */
  linkedAckBatchMs: number;
  /** `/healthz` and `/readyz` for a supervisor; no endpoint when unset. */
  healthPort?: number;
  /** host:port of the Prometheus endpoint (/metrics); none when unset. */
  metricsAddress?: string;
  /** Issue 12: the worker's cache, task slots (or the SDK's resource-based tuner) and sticky queue timeout. */
  worker: WorkerTuning;
  /** SIG-1, SIG-2: the operator's CAMARA APIs; the checks are off when absent. */
  operatorApi?: OperatorApiConfig;
  /** REC-1, REC-2: clients seal new passwords to this key (the worker's, derived from its proof keys unless PASSWORD_PUBLIC_KEY is set). */
  passwordPublicKey: Buffer;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
}

export { ConfigError };
export { natsServers, payloadCodec } from '../activities/adapters/connections';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(schema, env);
  const shared = connections(e);
  const production = shared.production;
  const { keys: proofKeys, devDefault } = parseProofKeys(e as unknown as Record<string, string | undefined>, production);
  const policy = parsePolicy(e.POLICY);
  if (e.SMS_GATEWAY === 'smpp' && (!e.SMPP_URL || !e.SMPP_SYSTEM_ID)) {
    throw new ConfigError('invalid configuration:\n  SMPP_URL, SMPP_SYSTEM_ID: required when SMS_GATEWAY=smpp');
  }
  return {
    ...shared,
    sms: e.SMS_GATEWAY === 'smpp' ? { gateway: 'smpp', url: e.SMPP_URL!, systemId: e.SMPP_SYSTEM_ID!, password: e.SMPP_PASSWORD ?? '', sourceAddr: e.SMPP_SOURCE_ADDR } : { gateway: 'jetstream' },
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    proofKeys,
    proofKeysAreDevDefault: devDefault,
    policy,
    limits: parseLimits(e),
    operators: {
      publicKeyPem: e.OPERATOR_JWT_PUBLIC_KEY ?? (e.OPERATOR_JWT_PUBLIC_KEY_FILE ? readKeyFile(e.OPERATOR_JWT_PUBLIC_KEY_FILE) : undefined),
      issuer: e.OPERATOR_JWT_ISSUER,
      audience: e.OPERATOR_JWT_AUDIENCE,
      maxTtlMs: parseMaxTtl(e.OPERATOR_JWT_MAX_TTL),
    },
    codecServer: {
      tokens: (e.CODEC_SERVER_TOKENS ?? DEV_CODEC_TOKEN).split(','),
      origins: e.CODEC_SERVER_ORIGINS.split(','),
      port: e.CODEC_SERVER_PORT,
      tokensAreDevDefault: !e.CODEC_SERVER_TOKENS,
    },
    linkedServices: e.LINKED_SERVICES.split(','),
    bridges: { linkedAcks: e.BRIDGES.split(',').includes('linked_acks'), deliveryReports: e.BRIDGES.split(',').includes('delivery_reports') },
    linkedAckBatchMs: e.LINKED_ACK_BATCH_MS,
    links: { journal: e.JOURNAL_URL, reject: e.REJECT_URL, identity: e.IDENTITY_URL },
    healthPort: e.WORKER_HEALTH_PORT,
    metricsAddress: e.METRICS_ADDRESS,
    operatorApi: parseOperatorApi(e),
    passwordPublicKey: e.PASSWORD_PUBLIC_KEY ? Buffer.from(e.PASSWORD_PUBLIC_KEY, 'base64') : passwordPublicKey(proofKeys.passwords),
    logLevel: e.LOG_LEVEL,
    worker: parseWorkerTuning(e),
  };
}

export interface WorkerTuning {
  /** Changes kept in memory between their tasks; an evicted one is rebuilt by replay when a message arrives. */
  maxCachedWorkflows: number;
  /** Fixed slots, or the SDK's resource-based tuner aiming at these fractions of memory and CPU. */
  slots: { workflowTasks: number; activities: number; localActivities: number } | { targetMemoryUsage: number; targetCpuUsage: number };
  stickyQueueTimeoutMs: number;
  /** The old-generation limit of the SDK's workflow thread, MB (see workflowHeapMbFor). */
  workflowHeapMb: number;
  /**
   * Whether the SDK records a stack for every promise a workflow makes, which the Web UI's "Stack
   * Trace" tab shows. Off by default: measured 13-18 % of the worker's CPU per change (README
   * "Figures"); a change's state and history say where it waits without it.
   */
  workflowStackTraces: boolean;
}

/**
 * Issue 12: V8 lets a heap grow to up to four times what survived its last full collection before
 * collecting again, scaled down as the heap nears its limit. The workflow thread's limit, sized from
 * the cache (measured: about 0.35 MB per cached change, and a base under 100 MB), keeps that
 * growth, and the payload buffers it holds, in proportion: a burst of evictions no longer leaves
 * the thread's heap at double its size. About twice the per-change figure (316 MB at 250), so the
 * limit is never the thread's end (a thread over it dies, and the worker with it).
 */
export function workflowHeapMbFor(maxCachedWorkflows: number): number {
  return heapMb(DEFAULT_MB_PER_CACHED_CHANGE, maxCachedWorkflows);
}

function parseWorkerTuning(e: z.infer<typeof schema>): WorkerTuning {
  let stickyQueueTimeoutMs: number;
  try {
    stickyQueueTimeoutMs = parseDuration(e.WORKER_STICKY_QUEUE_TIMEOUT);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  WORKER_STICKY_QUEUE_TIMEOUT: ${(err as Error).message}`);
  }
  const tuner = e.WORKER_RESOURCE_TUNER?.split(',').map(Number);
  if (tuner && tuner.some((x) => !(x > 0 && x < 1))) throw new ConfigError('invalid configuration:\n  WORKER_RESOURCE_TUNER: each fraction between 0 and 1');
  return {
    maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    slots: tuner
      ? { targetMemoryUsage: tuner[0]!, targetCpuUsage: tuner[1]! }
      : { workflowTasks: e.WORKER_WORKFLOW_TASK_SLOTS, activities: e.WORKER_ACTIVITY_SLOTS, localActivities: e.WORKER_LOCAL_ACTIVITY_SLOTS },
    stickyQueueTimeoutMs,
    workflowHeapMb: workflowHeapMb(e.WORKER_WORKFLOW_HEAP_MB, e.WORKER_MAX_CACHED_WORKFLOWS),
    workflowStackTraces: e.WORKER_WORKFLOW_STACK_TRACES === 'on',
  };
}

/** The configured heap limit, refused when the cache alone would not fit (the worker would die at its first burst instead). */
function workflowHeapMb(configured: number | undefined, maxCachedWorkflows: number): number {
  if (configured === undefined) return workflowHeapMbFor(maxCachedWorkflows);
  const needed = heapMb(MB_PER_CACHED_CHANGE, maxCachedWorkflows);
  if (configured < needed) {
    throw new ConfigError(
      `invalid configuration:\n  WORKER_WORKFLOW_HEAP_MB: ${configured} MB cannot hold ${maxCachedWorkflows} cached changes (WORKER_MAX_CACHED_WORKFLOWS; about ${MB_PER_CACHED_CHANGE} MB each above ${HEAP_BASE_MB} MB): at least ${needed}, ${workflowHeapMbFor(maxCachedWorkflows)} by default`,
    );
  }
  return configured;
}

/** The CAMARA client's own settings (one definition, in the adapter) and the policy around it. */
export interface OperatorApiConfig extends CamaraConfig {
  simSwapMaxAgeHours: number;
  whenDown: 'hold' | 'proceed_and_flag';
  sweep: { batchSize: number; pauseMs: number; batchesPerRun: number; every: string };
}

function parseOperatorApi(e: z.infer<typeof schema>): OperatorApiConfig | undefined {
  if (!e.OPERATOR_API_URL) return undefined;
  if (!e.OPERATOR_API_CLIENT_ID || !e.OPERATOR_API_CLIENT_SECRET) {
    throw new ConfigError('invalid configuration:\n  OPERATOR_API_CLIENT_ID, OPERATOR_API_CLIENT_SECRET: required with OPERATOR_API_URL');
  }
  return {
    baseUrl: e.OPERATOR_API_URL.replace(/\/+$/, ''),
    tokenUrl: e.OPERATOR_API_TOKEN_URL,
    clientId: e.OPERATOR_API_CLIENT_ID,
    clientSecret: e.OPERATOR_API_CLIENT_SECRET,
    timeoutMs: e.OPERATOR_API_TIMEOUT_MS,
    attempts: e.OPERATOR_API_ATTEMPTS,
    simSwapMaxAgeHours: e.SIM_SWAP_MAX_AGE_HOURS,
    whenDown: e.OPERATOR_API_DOWN_RULE,
    sweep: { batchSize: e.RECYCLING_SWEEP_BATCH, pauseMs: e.RECYCLING_SWEEP_PAUSE_MS, batchesPerRun: 20, every: e.RECYCLING_SWEEP_EVERY },
  };
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  OPERATOR_JWT_PUBLIC_KEY_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code})`);
  }
}

/** SEC-6, SEC-7: operator credentials live minutes; the bound keeps them inside the spent-id bucket's TTL. */
function parseMaxTtl(spec: string): number {
  let ms: number;
  try {
    ms = parseDuration(spec);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  OPERATOR_JWT_MAX_TTL: ${(err as Error).message}`);
  }
  if (ms < 1000 || ms > MAX_TTL_BOUND_MS) throw new ConfigError(`invalid configuration:\n  OPERATOR_JWT_MAX_TTL: between 1s and ${MAX_TTL_BOUND_MS / 60_000}m`);
  return ms;
}

function parseLimits(e: { LIMIT_STARTS_PER_ACCOUNT: string; LIMIT_STARTS_PER_NUMBER: string; LIMIT_CODES_PER_NUMBER: string; LIMIT_WRONG_ENTRIES_PER_ACCOUNT: string }): Limits {
  const one = (name: string, spec: string) => {
    try {
      return parseLimit(spec);
    } catch (err) {
      throw new ConfigError(`invalid configuration:\n  ${name}: ${(err as Error).message}`);
    }
  };
  return {
    startsPerAccount: one('LIMIT_STARTS_PER_ACCOUNT', e.LIMIT_STARTS_PER_ACCOUNT),
    startsPerNumber: one('LIMIT_STARTS_PER_NUMBER', e.LIMIT_STARTS_PER_NUMBER),
    codesPerNumber: one('LIMIT_CODES_PER_NUMBER', e.LIMIT_CODES_PER_NUMBER),
    wrongEntriesPerAccount: one('LIMIT_WRONG_ENTRIES_PER_ACCOUNT', e.LIMIT_WRONG_ENTRIES_PER_ACCOUNT),
  };
}

/**
 * SEC-5: one key per purpose, each derived from PROOF_MASTER_KEY by HKDF unless PROOF_KEY_<PURPOSE>
 * sets it; two purposes may not share a key. Production never falls back to the development key.
 */
function parseProofKeys(e: Record<string, string | undefined>, production: boolean): { keys: ProofKeys; devDefault: boolean } {
  const explicit = proofKeyPurposes.filter((p) => e[keyVar(p)] !== undefined);
  const needsMaster = explicit.length < proofKeyPurposes.length;
  if (production && needsMaster && !e.PROOF_MASTER_KEY) throw new ConfigError('invalid configuration:\n  PROOF_MASTER_KEY: required in production (or every PROOF_KEY_<PURPOSE>)');
  const derived = deriveProofKeys(Buffer.from(e.PROOF_MASTER_KEY ?? DEV_MASTER_KEY, 'base64'));
  const keys = { ...derived };
  for (const p of explicit) keys[p] = Buffer.from(e[keyVar(p)]!, 'base64');
  const seen = new Map<string, string>();
  for (const p of proofKeyPurposes) {
    const hex = keys[p].toString('hex');
    if (seen.has(hex)) throw new ConfigError(`invalid configuration:\n  ${keyVar(p)}: the same key as ${keyVar(seen.get(hex)!)}; each purpose needs its own`);
    seen.set(hex, p);
  }
  return { keys, devDefault: needsMaster && !e.PROOF_MASTER_KEY };
}

/** SEC-7: POLICY is JSON overrides of the defaults, e.g. {"codeTtlMs":180000}; bounds are checked here. */
function parsePolicy(json: string): Policy {
  try {
    return resolvePolicy(JSON.parse(json) as Partial<Policy>);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  POLICY: ${(err as Error).message}`);
  }
}
