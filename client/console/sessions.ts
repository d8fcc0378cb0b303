/**
 * Console sign-in: the operators' identity provider posts a short-lived login credential (a JWT
 * with `aud` = the console, `sub`, `roles`, at most 10 minutes, used once) to /console/login; the
 * console verifies it with the provider's public key and opens a session of its own, an opaque
 * random id in an HttpOnly, SameSite=Strict cookie, kept in memory and ending after
 * CONSOLE_SESSION_TTL (15 minutes by default). Roles come only from the credential.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { importSPKI, jwtVerify, type CryptoKey, type KeyObject } from 'jose';
import { operatorRoles, type OperatorRole } from '../../workflows/phone-change.defs';
import type { Lang } from './i18n';

export interface OperatorSession {
  id: string;
  operator: string;
  name?: string;
  roles: OperatorRole[];
  expiresAt: number;
  /** Sent back in every form: a request from another site cannot act (with SameSite=Strict as well). */
  csrf: string;
  flash?: { ok: boolean; text: string };
  /** The sign-in token (memory only), for a token exchange at the provider. */
  subjectToken?: string;
  /** REC-2: the account whose recovery the operator is working on (kept here, never in a URL). */
  recoveryAccount?: string;
}

/** Who a verified login credential names, with the roles mapped from it. */
export interface VerifiedLogin {
  operator: string;
  name?: string;
  roles: OperatorRole[];
  /** An id the credential carries once (jti, or the OIDC nonce): a replay is refused. */
  once: string;
  /** Seconds since the epoch. */
  exp: number;
}

/** Checks a login credential posted to /console/login: the dev stand-in's (PemLoginVerifier) or a production IdP's ID token (oidc.ts). */
export interface LoginVerifier {
  verify(idToken: string, state?: string): Promise<VerifiedLogin>;
}

export type LoginSettings = { sessionTtlMs: number } & ({ verifier: LoginVerifier } | { publicKeyPem: string; issuer: string; audience: string });

const LOGIN_MAX_AGE_S = 600;

export class LoginError extends Error {}

/** The roles a claim's values grant: only the operator roles the product knows. */
export const knownRoles = (values: unknown): OperatorRole[] => (Array.isArray(values) ? operatorRoles.filter((r) => values.includes(r)) : []);

/** The development stand-in's login credentials: signed with one SPKI key, `roles` claim as is, `jti` once. */
export class PemLoginVerifier implements LoginVerifier {
  private key?: Promise<CryptoKey | KeyObject>;
  constructor(private readonly s: { publicKeyPem: string; issuer: string; audience: string }) {}

  async verify(idToken: string): Promise<VerifiedLogin> {
    this.key ??= importSPKI(this.s.publicKeyPem, 'ES256').catch(() => importSPKI(this.s.publicKeyPem, 'RS256'));
    let payload;
    try {
      ({ payload } = await jwtVerify(idToken, await this.key, {
        issuer: this.s.issuer,
        audience: this.s.audience,
        algorithms: ['ES256', 'RS256'],
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        maxTokenAge: LOGIN_MAX_AGE_S,
        clockTolerance: 30,
      }));
    } catch {
      throw new LoginError('the login credential does not verify, has expired or is not for this console');
    }
    if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || payload.exp! - payload.iat! > LOGIN_MAX_AGE_S)
      throw new LoginError('the login credential is malformed or lives too long');
    return { operator: payload.sub, name: typeof payload.name === 'string' ? payload.name : undefined, roles: knownRoles(payload.roles), once: payload.jti, exp: payload.exp! };
  }
}

export class Sessions {
  private readonly byId = new Map<string, OperatorSession>();
  /** Login credentials used already, until they would have expired anyway. */
  private readonly usedLogins = new Map<string, number>();
  private readonly verifier: LoginVerifier;
  constructor(private readonly s: LoginSettings) {
    this.verifier = 'verifier' in s ? s.verifier : new PemLoginVerifier(s);
  }

  async login(idToken: string, now = Date.now(), state?: string): Promise<OperatorSession> {
    const v = await this.verifier.verify(idToken, state);
    this.sweep(now);
    if (this.usedLogins.has(v.once)) throw new LoginError('the login credential was used already');
    this.usedLogins.set(v.once, v.exp * 1000 + 60_000);
    const session: OperatorSession = {
      id: randomBytes(32).toString('base64url'),
      operator: v.operator,
      name: v.name?.slice(0, 100),
      roles: v.roles,
      expiresAt: now + this.s.sessionTtlMs,
      csrf: randomBytes(24).toString('base64url'),
      subjectToken: idToken,
    };
    this.byId.set(session.id, session);
    return session;
  }

  get(id: string | undefined, now = Date.now()): OperatorSession | undefined {
    if (!id || id.length > 100) return undefined;
    const s = this.byId.get(id);
    if (!s || s.expiresAt <= now) {
      if (s) this.byId.delete(id);
      return undefined;
    }
    return s;
  }

  end(id: string | undefined): void {
    if (id) this.byId.delete(id);
  }

  private sweep(now: number): void {
    for (const [jti, until] of this.usedLogins) if (until <= now) this.usedLogins.delete(jti);
    for (const [id, s] of this.byId) if (s.expiresAt <= now) this.byId.delete(id);
  }
}

export function csrfMatches(session: OperatorSession, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The binding of an action credential (SEC-6): one operator, account, change and action. */
export interface ActionBinding {
  operator: string;
  name?: string;
  roles: OperatorRole[];
  accountId: string;
  requestId: string;
  action: OperatorRole;
  /** The operator's sign-in token, for a provider that exchanges it for the action's credential (RFC 8693). */
  subjectToken?: string;
}

/**
 * The identity provider as the console needs it: a login page to send operators to, and a
 * credential for one action on one change for a signed-in operator (a token exchange in
 * production; the local stand-in signs with the development key).
 */
export interface OperatorIdp {
  loginUrl: string;
  mintActionCredential(b: ActionBinding): Promise<string>;
}

export type { Lang };
