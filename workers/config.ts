/**
 * Configuration, read and validated once at the process edge (worker, CLI, dev stack) and passed
 * in; nothing below this reads the environment.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TASK_QUEUE } from '../workflows/phone-change.defs';
import type { Links } from '../activities';
import { parseDuration, parseLimit } from '../activities/limits';
import type { Limits } from '../activities/ports';
import { MAX_TTL_BOUND_MS } from '../activities/adapters/jwt-operator-verifier';
import { AesGcmCodec, parsePayloadKeys, type CodecKey } from '../activities/adapters/payload-codec';
import { deriveProofKeys, MIN_KEY_BYTES, proofKeyPurposes, type ProofKeys } from '../activities/codes';
import { resolvePolicy, type Policy } from '../workflows/domain/policy';
import { ConfigError } from '../activities/config-error';
import { passwordPublicKey } from '../activities/adapters/password-seal';

const keyVar = (purpose: string) => `PROOF_KEY_${purpose.toUpperCase()}`;
const base64Key = (name: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/_-]+=*$/, `${name} must be base64`)
    .refine((v) => Buffer.from(v, 'base64').length >= MIN_KEY_BYTES, `${name} must decode to at least ${MIN_KEY_BYTES} bytes`);

/** For local development only: production must set PROOF_MASTER_KEY (the worker refuses to start without it). */
const DEV_MASTER_KEY = 'ZGV2ZWxvcG1lbnQtb25seS1tYXN0ZXIta2V5LW5ldmVyLWluLXByb2R1Y3Rpb24h';
/** Likewise for PAYLOAD_KEYS: a fixed development key, refused in production. */
const DEV_PAYLOAD_KEYS = 'dev1:ZGV2LXBheWxvYWQta2V5LTMyLWJ5dGVzLWxvbmchISE=';
/** The local stack's codec-server token: whoever runs the stack is the authorised engineer. */
const DEV_CODEC_TOKEN = 'dev-codec-token-local-only';

const schema = z.object({
  NODE_ENV: z.string().default('development'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false'),
  NATS_URL: z
    .string()
    .regex(/^(nats|tls|wss?):\/\/[^\s,]+(,(nats|tls|wss?):\/\/[^\s,]+)*$/, 'NATS_URL must be one URL or comma-separated URLs of one cluster (nats://host:port,...)')
    .default('nats://127.0.0.1:4222'),
  // 3 on a cluster: each stream and bucket survives the loss of one node (checked at start-up).
  NATS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'SMTP_URL must start with smtp:// or smtps://')
    .default('smtp://127.0.0.1:2525'),
  MAIL_FROM: z.string().min(3).default('"Госуслуги" <no-reply@phone-change.local>'),
  PROOF_MASTER_KEY: base64Key('PROOF_MASTER_KEY').optional(),
  ...Object.fromEntries(proofKeyPurposes.map((p) => [keyVar(p), base64Key(keyVar(p)).optional()])),
  POLICY: z.string().default('{}'),
  PAYLOAD_KEYS: z
    .string()
    .regex(/^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+(,[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+)*$/, 'PAYLOAD_KEYS must be id:base64key[,id:base64key...] (current key first)')
    .optional(),
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
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export interface Config {
  production: boolean;
  temporal: { address: string; namespace: string; taskQueue: string; apiKey?: string; tls: boolean };
  /** The servers of one NATS cluster, and the replicas of every stream and bucket it holds. */
  nats: { servers: string[]; replicas: number };
  smtpUrl: string;
  mailFrom: string;
  /** SEC-5: the worker-only keys, one per purpose; no client holds any of them. */
  proofKeys: ProofKeys;
  proofKeysAreDevDefault: boolean;
  /** SEC-7: the change policy (defaults with POLICY's overrides, within bounds). */
  policy: Policy;
  /** SEC-4: payload encryption keys, current first. */
  payloadKeys: CodecKey[];
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
  /** `/healthz` and `/readyz` for a supervisor; no endpoint when unset. */
  healthPort?: number;
  /** SIG-1, SIG-2: the operator's CAMARA APIs; the checks are off when absent. */
  operatorApi?: OperatorApiConfig;
  /** REC-1, REC-2: clients seal new passwords to this key (the worker's, derived from its proof keys unless PASSWORD_PUBLIC_KEY is set). */
  passwordPublicKey: Buffer;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
}

/**
 * SEC-4: the payload codec of every process; production refuses unsealed payloads. Workers and
 * clients read an unreadable payload as `null` (hole 5); the codec server answers it with 400.
 */
export function payloadCodec(config: Pick<Config, 'payloadKeys' | 'production'>, use: 'workflows' | 'codec-server' = 'workflows'): AesGcmCodec {
  return new AesGcmCodec(config.payloadKeys, { requireEncryption: config.production, refuseUnreadable: use === 'workflows' });
}

export { ConfigError };

/** NATS_URL's comma-separated servers; the client tries them all and follows the cluster. */
export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const { keys: proofKeys, devDefault } = parseProofKeys(e as unknown as Record<string, string | undefined>, production);
  const policy = parsePolicy(e.POLICY);
  if (production && !e.PAYLOAD_KEYS) throw new ConfigError('invalid configuration:\n  PAYLOAD_KEYS: required in production');
  let payloadKeys: CodecKey[];
  try {
    payloadKeys = parsePayloadKeys(e.PAYLOAD_KEYS ?? DEV_PAYLOAD_KEYS);
    new AesGcmCodec(payloadKeys); // checks key sizes
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  PAYLOAD_KEYS: ${(err as Error).message}`);
  }
  if (e.SMS_GATEWAY === 'smpp' && (!e.SMPP_URL || !e.SMPP_SYSTEM_ID)) {
    throw new ConfigError('invalid configuration:\n  SMPP_URL, SMPP_SYSTEM_ID: required when SMS_GATEWAY=smpp');
  }
  return {
    production,
    sms: e.SMS_GATEWAY === 'smpp' ? { gateway: 'smpp', url: e.SMPP_URL!, systemId: e.SMPP_SYSTEM_ID!, password: e.SMPP_PASSWORD ?? '', sourceAddr: e.SMPP_SOURCE_ADDR } : { gateway: 'jetstream' },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: e.TEMPORAL_TLS === 'true' || e.TEMPORAL_API_KEY !== undefined,
    },
    nats: { servers: natsServers(e.NATS_URL), replicas: e.NATS_REPLICAS },
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    proofKeys,
    proofKeysAreDevDefault: devDefault,
    policy,
    payloadKeys,
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
    links: { journal: e.JOURNAL_URL, reject: e.REJECT_URL, identity: e.IDENTITY_URL },
    healthPort: e.WORKER_HEALTH_PORT,
    operatorApi: parseOperatorApi(e),
    passwordPublicKey: e.PASSWORD_PUBLIC_KEY ? Buffer.from(e.PASSWORD_PUBLIC_KEY, 'base64') : passwordPublicKey(proofKeys.passwords),
    logLevel: e.LOG_LEVEL,
  };
}

export interface OperatorApiConfig {
  baseUrl: string;
  tokenUrl?: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  attempts: number;
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
