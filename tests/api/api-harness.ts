/**
 * The HTTP API over a test harness's worker: a service key pair of the test's own (the API trusts
 * its public half), tokens with any scope, and the server listening on a free loopback port.
 */
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { FastifyInstance } from 'fastify';
import type { PhoneChangeClient } from '../../client/phone-change-client';
import { buildApi, type ApiDeps } from '../../client/api/server';
import { RecoveryClient } from '../../client/recovery-client';
import { passwordPublicKey } from '../../activities/adapters/password-seal';
import { PROOF_KEYS } from '../support/harness';
import type { Harness } from '../support/harness';

const serviceKeys = await generateKeyPair('ES256', { extractable: true });
const otherKeys = await generateKeyPair('ES256', { extractable: true });
export const SERVICE_ISSUER = 'test-services';
export const SERVICE_AUDIENCE = 'phone-change-api';

export interface TokenOptions {
  scope?: string;
  sub?: string | null;
  issuer?: string;
  audience?: string;
  /** Seconds from iat to exp; negative for an expired token. */
  ttl?: number;
  iat?: number;
  /** Signs with a key the API does not trust. */
  forged?: boolean;
}

export async function serviceToken(o: TokenOptions = {}): Promise<string> {
  const iat = o.iat ?? Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ scope: o.scope ?? 'changes support' })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(o.issuer ?? SERVICE_ISSUER)
    .setAudience(o.audience ?? SERVICE_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (o.ttl ?? 300));
  if (o.sub !== null) jwt.setSubject(o.sub ?? 'portal-backend');
  return jwt.sign((o.forged ? otherKeys.privateKey : serviceKeys.privateKey) as CryptoKey);
}

export interface TestApi {
  app: FastifyInstance;
  url: string;
  /** JSON request with a valid token of both scopes unless `token` says otherwise (null: none). */
  call(
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
    extraHeaders?: Record<string, string>,
  ): Promise<{ status: number; type: string; headers: Headers; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startTestApi(h: Harness, client: PhoneChangeClient = h.client, extra: Partial<ApiDeps> = {}): Promise<TestApi> {
  const app = await buildApi({
    client,
    // REC-1, REC-2 on the same worker as `client`'s changes, sealing to that worker's password key.
    recovery: new RecoveryClient({ client: h.temporal, taskQueue: client.taskQueue, passwordPublicKey: passwordPublicKey(PROOF_KEYS.passwords) }),
    temporal: h.temporal,
    serviceAuth: { publicKeyPems: [await exportSPKI(serviceKeys.publicKey)], issuer: SERVICE_ISSUER, audience: SERVICE_AUDIENCE, maxTtlMs: 15 * 60_000 },
    bodyLimit: 16_384,
    ready: async () => true,
    ...extra,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const token = await serviceToken();
  return {
    app,
    url,
    async call(method, path, body, tok = token, extraHeaders = {}) {
      const headers: Record<string, string> = { ...extraHeaders };
      if (tok !== null) headers.authorization = `Bearer ${tok}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = { raw: text };
      }
      return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, body: parsed };
    },
    close: () => app.close(),
  };
}
