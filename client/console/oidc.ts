/**
 * The operators' production identity provider over OpenID Connect (issue 15, point 3). Sign-in is
 * the implicit flow with `response_mode=form_post`: "sign in" sends the operator to the provider's
 * authorization endpoint with a fresh state and nonce (kept here, ten minutes, used once); the
 * provider posts an ID token back to /console/login, verified here against its JWKS (jose:
 * signature, issuer, audience = our client id, expiry, age, nonce), and the provider's own group or
 * role claim is mapped to operator roles (OIDC_ROLE_MAP). Action credentials come from the
 * provider by OAuth 2.0 token exchange (RFC 8693, token-exchange.ts), never from the console.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { operatorRoles, type OperatorRole } from '../../workflows/phone-change.defs';
import { knownRoles, LoginError, type LoginVerifier, type VerifiedLogin } from './sessions';

export interface OidcSettings {
  issuer: string;
  /** Our client id at the provider: the ID token's audience. */
  clientId: string;
  jwksUrl: string;
  authorizationUrl: string;
  /** The console's /console/login as registered at the provider. */
  redirectUrl: string;
  /** Where the provider puts the operator's groups or roles: a claim name or a dotted path (realm_access.roles). */
  rolesClaim: string;
  /** Provider value → operator roles; without one, values that are operator roles count as they are. */
  roleMap?: Map<string, OperatorRole[]>;
}

const PENDING_MS = 600_000;
const PENDING_MAX = 10_000;
const MAX_TOKEN_AGE_S = 600;

/** `group=role+role,group=role` (OIDC_ROLE_MAP); an unknown operator role is a configuration error. */
export function parseRoleMap(text: string): Map<string, OperatorRole[]> {
  const map = new Map<string, OperatorRole[]>();
  for (const entry of text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [from, to] = entry.split('=').map((x) => x?.trim());
    const roles = (to ?? '').split('+').map((r) => r.trim());
    if (!from || roles.some((r) => !(operatorRoles as readonly string[]).includes(r))) throw new Error(`OIDC_ROLE_MAP: "${entry}" must be <provider value>=<${operatorRoles.join('|')}>[+<role>...]`);
    map.set(from, [...new Set([...(map.get(from) ?? []), ...(roles as OperatorRole[])])]);
  }
  return map;
}

/** The operator roles a verified token grants. */
export function mapRoles(payload: JWTPayload, claim: string, roleMap?: Map<string, OperatorRole[]>): OperatorRole[] {
  let v: unknown = payload;
  for (const k of claim.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  const values = typeof v === 'string' ? v.split(' ') : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  if (!roleMap) return knownRoles(values);
  return operatorRoles.filter((r) => values.some((x) => roleMap.get(x)?.includes(r)));
}

export class OidcLogin implements LoginVerifier {
  readonly loginUrl = '/console/login/oidc';
  private readonly pending = new Map<string, { nonce: string; until: number }>();
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  constructor(private readonly s: OidcSettings) {
    this.jwks = createRemoteJWKSet(new URL(s.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
  }

  /** The provider's authorization URL with a fresh state and nonce. */
  authorizationRedirect(now = Date.now()): string {
    for (const [k, p] of this.pending) if (p.until <= now || this.pending.size >= PENDING_MAX) this.pending.delete(k);
    const state = randomBytes(18).toString('base64url');
    const nonce = randomBytes(18).toString('base64url');
    this.pending.set(state, { nonce, until: now + PENDING_MS });
    const u = new URL(this.s.authorizationUrl);
    const q = { response_type: 'id_token', response_mode: 'form_post', client_id: this.s.clientId, redirect_uri: this.s.redirectUrl, scope: 'openid profile', state, nonce };
    for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
    return u.toString();
  }

  async verify(idToken: string, state?: string, now = Date.now()): Promise<VerifiedLogin> {
    const p = state ? this.pending.get(state) : undefined;
    if (!state || !p || p.until <= now) throw new LoginError('this sign-in was not started here or took too long: sign in again');
    this.pending.delete(state);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, this.jwks, {
        issuer: this.s.issuer,
        audience: this.s.clientId,
        algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
        requiredClaims: ['sub', 'exp', 'iat', 'nonce'],
        maxTokenAge: MAX_TOKEN_AGE_S,
        clockTolerance: 30,
      }));
    } catch {
      throw new LoginError('the identity provider’s token does not verify, has expired or is not for this console');
    }
    if (payload.nonce !== p.nonce || typeof payload.sub !== 'string') throw new LoginError('the identity provider’s token is not for this sign-in');
    const name = typeof payload.name === 'string' ? payload.name : typeof payload.preferred_username === 'string' ? payload.preferred_username : undefined;
    return { operator: payload.sub, name, roles: mapRoles(payload, this.s.rolesClaim, this.s.roleMap), once: `nonce:${p.nonce}`, exp: payload.exp! };
  }

  /** GET /console/login/oidc: off to the provider. */
  async routes(app: FastifyInstance): Promise<void> {
    app.get(this.loginUrl, { schema: { hide: true } }, async (_req, reply) => reply.header('cache-control', 'no-store').redirect(this.authorizationRedirect(), 302));
  }
}
