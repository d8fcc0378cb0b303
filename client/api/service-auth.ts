/**
 * Service-to-service authentication: every call under /v1 (but the OpenAPI document and its docs
 * page) carries `Authorization: Bearer <JWT>`, a short-lived token the calling service signs with
 * its own key (ES256, RS256 or EdDSA) and whose public key the API is configured with. The token
 * names the service (`sub`), the API (`aud`), the issuer, `iat`/`exp` (at most `maxTtlMs` apart)
 * and a `scope`: `changes` for the citizen's actions, `support` for the support queue, search and
 * the support actions (which still need an operator's own credential, SEC-6). Signed tokens rather
 * than mTLS: they work through the portal's TLS-terminating proxies, and key rotation is a
 * configuration change (several public keys may be configured at once).
 */
import { errors as joseErrors, importSPKI, jwtVerify, type CryptoKey, type KeyObject } from 'jose';
import { ApiError } from './problem';

export const serviceScopes = ['changes', 'support'] as const;
export type ServiceScope = (typeof serviceScopes)[number];

export interface ServiceAuthSettings {
  /** SPKI PEMs of the services allowed to call; a token verifying with any of them is accepted. */
  publicKeyPems: string[];
  issuer: string;
  audience: string;
  maxTtlMs: number;
}

export interface ServiceCaller {
  service: string;
  scopes: ServiceScope[];
}

const CLOCK_TOLERANCE_S = 30;
const refuse = (message: string) => new ApiError('Unauthorized', 401, message, { field: 'authorization' });

export class ServiceAuth {
  private keys?: Promise<(CryptoKey | KeyObject)[]>;
  constructor(private readonly s: ServiceAuthSettings) {}

  /** The caller a bearer token proves, or an Unauthorized ApiError (never says more than needed). */
  async verify(header: string | undefined): Promise<ServiceCaller> {
    if (!header) throw refuse('a service token is required (Authorization: Bearer <jwt>)');
    const m = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(header);
    if (!m || header.length > 8192) throw refuse('the Authorization header must be "Bearer <jwt>"');
    const keys = await (this.keys ??= Promise.all(this.s.publicKeyPems.map(importKey)));
    let lastErr: unknown;
    for (const key of keys) {
      try {
        const { payload } = await jwtVerify(m[1]!, key, {
          issuer: this.s.issuer,
          audience: this.s.audience,
          algorithms: ['ES256', 'RS256', 'EdDSA'],
          requiredClaims: ['sub', 'exp', 'iat'],
          maxTokenAge: Math.floor(this.s.maxTtlMs / 1000),
          clockTolerance: CLOCK_TOLERANCE_S,
        });
        if (typeof payload.sub !== 'string' || !payload.sub || payload.exp! - payload.iat! > this.s.maxTtlMs / 1000) throw refuse('the service token is malformed or lives too long');
        const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter((x): x is ServiceScope => (serviceScopes as readonly string[]).includes(x)) : [];
        return { service: payload.sub, scopes };
      } catch (err) {
        if (err instanceof ApiError) throw err;
        lastErr = err;
      }
    }
    if (lastErr instanceof joseErrors.JWTExpired) throw refuse('the service token has expired');
    if (lastErr instanceof joseErrors.JWTClaimValidationFailed) throw refuse(`the service token is not for this API (${lastErr.claim})`);
    throw refuse('the service token does not verify');
  }
}

async function importKey(pem: string): Promise<CryptoKey | KeyObject> {
  for (const alg of ['ES256', 'RS256', 'EdDSA']) {
    try {
      return await importSPKI(pem, alg);
    } catch {
      // the PEM does not say which algorithm: try the next
    }
  }
  throw new Error('a service public key is not an ES256, RS256 or EdDSA SPKI PEM');
}

export function requireScope(caller: ServiceCaller, scope: ServiceScope): void {
  if (!caller.scopes.includes(scope)) throw new ApiError('Forbidden', 403, `this service's token lacks the scope "${scope}"`, { field: 'authorization' });
}
