/**
 * Configuration, read and validated once at the process edge (worker, CLI, dev stack) and passed
 * in; nothing below this reads the environment.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TASK_QUEUE } from '../workflows/phone-change.defs';
import type { Links } from '../activities';
import { parseLimit, type Limits } from '../activities/limits';
import { AesGcmCodec, parsePayloadKeys, type CodecKey } from '../client/payload-codec';

/** For local development only: production must set CODE_KEY (the worker refuses to start without it). */
const DEV_CODE_KEY = 'ZGV2ZWxvcG1lbnQtb25seS1rZXktLS1uZXZlci11c2UtaW4tcHJvZA';
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
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'SMTP_URL must start with smtp:// or smtps://').default('smtp://127.0.0.1:2525'),
  MAIL_FROM: z.string().min(3).default('"Госуслуги" <no-reply@phone-change.local>'),
  CODE_KEY: z.string().min(32, 'CODE_KEY must be at least 32 characters (base64 of 24+ random bytes)').optional(),
  PAYLOAD_KEYS: z.string().regex(/^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+(,[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+)*$/, 'PAYLOAD_KEYS must be id:base64key[,id:base64key...] (current key first)').optional(),
  CODEC_SERVER_TOKENS: z.string().min(16, 'CODEC_SERVER_TOKENS: each token at least 16 characters').optional(),
  CODEC_SERVER_ORIGINS: z.string().default('http://localhost:8233,http://127.0.0.1:8233'),
  CODEC_SERVER_PORT: z.coerce.number().int().min(1).max(65535).default(8888),
  OPERATOR_JWT_PUBLIC_KEY: z.string().includes('BEGIN PUBLIC KEY', { message: 'OPERATOR_JWT_PUBLIC_KEY must be an SPKI PEM' }).optional(),
  OPERATOR_JWT_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  OPERATOR_JWT_ISSUER: z.string().min(1).default('phone-change-operators'),
  OPERATOR_JWT_AUDIENCE: z.string().min(1).default('phone-change'),
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
  SMPP_URL: z.string().regex(/^ssmpp?:\/\//, 'SMPP_URL must start with smpp:// or ssmpp://').optional(),
  SMPP_SYSTEM_ID: z.string().min(1).optional(),
  SMPP_PASSWORD: z.string().optional(),
  SMPP_SOURCE_ADDR: z.string().min(1).max(11).default('Gosuslugi'),
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export interface Config {
  production: boolean;
  temporal: { address: string; namespace: string; taskQueue: string; apiKey?: string; tls: boolean };
  natsUrl: string;
  smtpUrl: string;
  mailFrom: string;
  codeKey: Buffer;
  codeKeyIsDevDefault: boolean;
  /** SEC-4: payload encryption keys, current first. */
  payloadKeys: CodecKey[];
  /** Limits against abuse (max/window), shared by all workers through NATS. */
  limits: Limits;
  /** Operator credentials: the identity provider's public key; support actions are refused without it. */
  operators: { publicKeyPem?: string; issuer: string; audience: string };
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
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && !e.CODE_KEY) throw new ConfigError('invalid configuration:\n  CODE_KEY: required in production');
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
    sms:
      e.SMS_GATEWAY === 'smpp'
        ? { gateway: 'smpp', url: e.SMPP_URL!, systemId: e.SMPP_SYSTEM_ID!, password: e.SMPP_PASSWORD ?? '', sourceAddr: e.SMPP_SOURCE_ADDR }
        : { gateway: 'jetstream' },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: e.TEMPORAL_TLS === 'true' || e.TEMPORAL_API_KEY !== undefined,
    },
    natsUrl: e.NATS_URL,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    codeKey: Buffer.from(e.CODE_KEY ?? DEV_CODE_KEY, 'base64'),
    codeKeyIsDevDefault: !e.CODE_KEY,
    payloadKeys,
    limits: parseLimits(e),
    operators: {
      publicKeyPem: e.OPERATOR_JWT_PUBLIC_KEY ?? (e.OPERATOR_JWT_PUBLIC_KEY_FILE ? readKeyFile(e.OPERATOR_JWT_PUBLIC_KEY_FILE) : undefined),
      issuer: e.OPERATOR_JWT_ISSUER,
      audience: e.OPERATOR_JWT_AUDIENCE,
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
    logLevel: e.LOG_LEVEL,
  };
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  OPERATOR_JWT_PUBLIC_KEY_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code})`);
  }
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
