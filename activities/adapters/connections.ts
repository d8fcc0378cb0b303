/**
 * The settings every process shares (worker, client and CLI, codec server): where Temporal and
 * NATS are and the payload keys. Each process edge (workers/config.ts, client/config.ts) reads its
 * environment once with these fields and its own; nothing here reads the environment itself.
 */
import { z } from 'zod';
import { TASK_QUEUE } from '../../workflows/phone-change.defs';
import { ConfigError } from '../config-error';
import { AesGcmCodec, parsePayloadKeys, type CodecKey } from './payload-codec';

/** For local development only: refused in production. */
const DEV_PAYLOAD_KEYS = 'dev1:ZGV2LXBheWxvYWQta2V5LTMyLWJ5dGVzLWxvbmchISE=';

/** The environment variables of the shared settings, to spread into a process's schema. */
export const connectionEnv = {
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
  PAYLOAD_KEYS: z
    .string()
    .regex(/^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+(,[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+)*$/, 'PAYLOAD_KEYS must be id:base64key[,id:base64key...] (current key first)')
    .optional(),
};

/**
 * NATS outages are waited out: the client reconnects without limit (a worker that gave up after
 * the default 10 attempts stayed up failing every activity), every 2 s with up to 1 s of jitter so
 * a fleet does not reconnect in step. Publishes made meanwhile fail and their activities retry.
 */
export const NATS_RECONNECT = { maxReconnectAttempts: -1, reconnectTimeWait: 2000, reconnectJitter: 1000 } as const;

export interface Connections {
  production: boolean;
  temporal: { address: string; namespace: string; taskQueue: string; apiKey?: string; tls: boolean };
  /** The servers of one NATS cluster, and the replicas of every stream and bucket it holds. */
  nats: { servers: string[]; replicas: number };
  /** SEC-4: payload encryption keys, current first. */
  payloadKeys: CodecKey[];
}

/** Parses `env` with `schema`, or throws one ConfigError listing every variable at fault. */
export function parseEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** The shared settings from parsed variables; production requires real payload keys. */
export function connections(e: z.infer<z.ZodObject<typeof connectionEnv>>): Connections {
  const production = e.NODE_ENV === 'production';
  if (production && !e.PAYLOAD_KEYS) throw new ConfigError('invalid configuration:\n  PAYLOAD_KEYS: required in production');
  let payloadKeys: CodecKey[];
  try {
    payloadKeys = parsePayloadKeys(e.PAYLOAD_KEYS ?? DEV_PAYLOAD_KEYS);
    new AesGcmCodec(payloadKeys); // checks key sizes
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  PAYLOAD_KEYS: ${(err as Error).message}`);
  }
  return {
    production,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: e.TEMPORAL_TLS === 'true' || e.TEMPORAL_API_KEY !== undefined,
    },
    nats: { servers: natsServers(e.NATS_URL), replicas: e.NATS_REPLICAS },
    payloadKeys,
  };
}

/**
 * SEC-4: the payload codec of every process; production refuses unsealed payloads. Workers and
 * clients read an unreadable payload as `null` (hole 5); the codec server answers it with 400.
 */
export function payloadCodec(config: Pick<Connections, 'payloadKeys' | 'production'>, use: 'workflows' | 'codec-server' = 'workflows'): AesGcmCodec {
  return new AesGcmCodec(config.payloadKeys, { requireEncryption: config.production, refuseUnreadable: use === 'workflows' });
}

/** NATS_URL's comma-separated servers; the client tries them all and follows the cluster. */
export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
}
