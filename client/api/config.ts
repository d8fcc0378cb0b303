/**
 * The API's configuration, parsed once from the environment (README, "HTTP API"). Its own: the
 * API is a client, and nothing under client/ imports workers/. It reads the Temporal address,
 * the payload keys and NATS (for the account history) and never a proof key.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parsePayloadKeys, type CodecKey } from '../../activities/adapters/payload-codec';
import { natsServerList } from './nats-url';
import { TASK_QUEUE } from '../../workflows/phone-change.defs';
import { parseRoleMap, type OidcSettings } from '../console/oidc';
import type { TokenExchangeSettings } from '../console/token-exchange';

/** The local stack's payload key (the same fixed development key as the worker's); refused in production. */
const DEV_PAYLOAD_KEYS = 'dev1:ZGV2LXBheWxvYWQta2V5LTMyLWJ5dGVzLWxvbmchISE=';

const duration = (name: string, maxMs: number) =>
  z
    .string()
    .regex(/^\d{1,5}(s|m|h)$/, `${name} must look like 30s, 10m or 1h`)
    .transform((v) => Number(v.slice(0, -1)) * { s: 1000, m: 60_000, h: 3_600_000 }[v.slice(-1) as 's' | 'm' | 'h'])
    .refine((ms) => ms > 0 && ms <= maxMs, `${name} must be at most ${maxMs / 60_000} minutes`);

const schema = z.object({
  NODE_ENV: z.string().default('development'),
  DATA_DIR: z.string().default('.data'),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  API_BODY_LIMIT: z.coerce.number().int().min(1024).max(1_048_576).default(16_384),
  API_SERVICE_JWT_PUBLIC_KEYS: z.string().includes('BEGIN PUBLIC KEY', { message: 'API_SERVICE_JWT_PUBLIC_KEYS must hold SPKI PEMs' }).optional(),
  API_SERVICE_JWT_PUBLIC_KEY_FILES: z.string().min(1).optional(),
  API_SERVICE_JWT_ISSUER: z.string().min(1).default('phone-change-services'),
  API_SERVICE_JWT_AUDIENCE: z.string().min(1).default('phone-change-api'),
  API_SERVICE_JWT_MAX_TTL: duration('API_SERVICE_JWT_MAX_TTL', 3_600_000).default(15 * 60_000),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false'),
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  PAYLOAD_KEYS: z.string().optional(),
  PASSWORD_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/_-]{43}=?$/, 'PASSWORD_PUBLIC_KEY must be 32 bytes in base64')
    .optional(),
  CONSOLE: z.enum(['on', 'off']).default('on'),
  OPERATOR_JWT_PUBLIC_KEY: z.string().includes('BEGIN PUBLIC KEY', { message: 'OPERATOR_JWT_PUBLIC_KEY must be an SPKI PEM' }).optional(),
  OPERATOR_JWT_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  OPERATOR_JWT_ISSUER: z.string().min(1).default('phone-change-operators'),
  OPERATOR_JWT_AUDIENCE: z.string().min(1).default('phone-change'),
  CONSOLE_LOGIN_AUDIENCE: z.string().min(1).default('phone-change-console'),
  // The operators' identity provider: the local stand-in (dev) or OpenID Connect (README "A production identity provider").
  CONSOLE_IDP: z.enum(['dev', 'oidc']).default('dev'),
  OIDC_ISSUER: z.string().min(1).optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_JWKS_URL: z.url().optional(),
  OIDC_AUTHORIZATION_URL: z.url().optional(),
  OIDC_TOKEN_URL: z.url().optional(),
  OIDC_REDIRECT_URL: z.url().optional(),
  OIDC_ROLES_CLAIM: z
    .string()
    .regex(/^[\w-]+(\.[\w-]+)*$/)
    .default('roles'),
  OIDC_ROLE_MAP: z.string().optional(),
  CONSOLE_SESSION_TTL: duration('CONSOLE_SESSION_TTL', 3_600_000).default(15 * 60_000),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export interface ApiConfig {
  production: boolean;
  dataDir: string;
  host: string;
  port: number;
  bodyLimit: number;
  serviceAuth: { publicKeyPems: string[]; issuer: string; audience: string; maxTtlMs: number };
  temporal: { address: string; namespace: string; taskQueue: string; apiKey?: string; tls: boolean };
  natsServers: string[];
  payloadKeys: CodecKey[];
  /** REC-1, REC-2: the worker's public password key; the API seals passwords to it (it cannot open them). */
  passwordPublicKey?: Buffer;
  console: {
    enabled: boolean;
    operatorPublicKeyPem?: string;
    issuer: string;
    actionAudience: string;
    loginAudience: string;
    sessionTtlMs: number;
    /** CONSOLE_IDP=oidc: sign-in by the provider's ID tokens, action credentials by token exchange. */
    oidc?: { login: OidcSettings; exchange: TokenExchangeSettings };
  };
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
}

export class ApiConfigError extends Error {
  override name = 'ApiConfigError';
}

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const r = schema.safeParse(env);
  if (!r.success) throw new ApiConfigError(`invalid configuration:\n${r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  const e = r.data;
  const production = e.NODE_ENV === 'production';
  const fail = (what: string) => new ApiConfigError(`invalid configuration:\n  ${what}`);
  if (production && !e.PAYLOAD_KEYS) throw fail('PAYLOAD_KEYS: required in production');
  if (production && !e.PASSWORD_PUBLIC_KEY) throw fail("PASSWORD_PUBLIC_KEY: required in production (the worker's public password key, for REC-1 and REC-2)");
  let payloadKeys: CodecKey[];
  try {
    payloadKeys = parsePayloadKeys(e.PAYLOAD_KEYS ?? DEV_PAYLOAD_KEYS);
  } catch (err) {
    throw fail(`PAYLOAD_KEYS: ${(err as Error).message}`);
  }
  const pems = [
    ...splitPems(e.API_SERVICE_JWT_PUBLIC_KEYS ?? ''),
    ...(e.API_SERVICE_JWT_PUBLIC_KEY_FILES ?? '')
      .split(',')
      .filter(Boolean)
      .flatMap((f) => splitPems(readKey(f.trim(), 'API_SERVICE_JWT_PUBLIC_KEY_FILES'))),
  ];
  if (pems.length === 0) throw fail('API_SERVICE_JWT_PUBLIC_KEYS or API_SERVICE_JWT_PUBLIC_KEY_FILES: the public keys of the services allowed to call are required');
  return {
    production,
    dataDir: e.DATA_DIR,
    host: e.API_HOST,
    port: e.API_PORT,
    bodyLimit: e.API_BODY_LIMIT,
    serviceAuth: { publicKeyPems: pems, issuer: e.API_SERVICE_JWT_ISSUER, audience: e.API_SERVICE_JWT_AUDIENCE, maxTtlMs: e.API_SERVICE_JWT_MAX_TTL },
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TEMPORAL_TASK_QUEUE, apiKey: e.TEMPORAL_API_KEY, tls: e.TEMPORAL_TLS === 'true' },
    natsServers: natsServerList(e.NATS_URL),
    payloadKeys,
    passwordPublicKey: e.PASSWORD_PUBLIC_KEY ? Buffer.from(e.PASSWORD_PUBLIC_KEY, 'base64') : undefined,
    console: {
      enabled: e.CONSOLE === 'on',
      operatorPublicKeyPem: e.OPERATOR_JWT_PUBLIC_KEY ?? (e.OPERATOR_JWT_PUBLIC_KEY_FILE ? readKey(e.OPERATOR_JWT_PUBLIC_KEY_FILE, 'OPERATOR_JWT_PUBLIC_KEY_FILE') : undefined),
      issuer: e.OPERATOR_JWT_ISSUER,
      actionAudience: e.OPERATOR_JWT_AUDIENCE,
      loginAudience: e.CONSOLE_LOGIN_AUDIENCE,
      sessionTtlMs: e.CONSOLE_SESSION_TTL,
      oidc: e.CONSOLE_IDP === 'oidc' ? oidcSettings(e, fail) : undefined,
    },
    logLevel: e.LOG_LEVEL,
  };
}

function oidcSettings(e: z.infer<typeof schema>, fail: (what: string) => ApiConfigError): NonNullable<ApiConfig['console']['oidc']> {
  const need = (name: keyof typeof e) => {
    const v = e[name];
    if (typeof v !== 'string' || !v) throw fail(`${name}: required with CONSOLE_IDP=oidc`);
    return v;
  };
  let roleMap;
  try {
    roleMap = e.OIDC_ROLE_MAP ? parseRoleMap(e.OIDC_ROLE_MAP) : undefined;
  } catch (err) {
    throw fail((err as Error).message);
  }
  const clientId = need('OIDC_CLIENT_ID');
  return {
    login: {
      issuer: need('OIDC_ISSUER'),
      clientId,
      jwksUrl: need('OIDC_JWKS_URL'),
      authorizationUrl: need('OIDC_AUTHORIZATION_URL'),
      redirectUrl: need('OIDC_REDIRECT_URL'),
      rolesClaim: e.OIDC_ROLES_CLAIM,
      roleMap,
    },
    exchange: { tokenUrl: need('OIDC_TOKEN_URL'), clientId, clientSecret: need('OIDC_CLIENT_SECRET'), audience: e.OPERATOR_JWT_AUDIENCE },
  };
}

function splitPems(text: string): string[] {
  return text.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
}

function readKey(path: string, name: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ApiConfigError(`invalid configuration:\n  ${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code})`);
  }
}
