/**
 * Operator trust (SEC-6): a support action (override, reject, revert) carries a signed credential
 * from the operators' identity provider, a JWT verified here with its public key. It is bound to one
 * account, one change and one action, lives minutes and is spent once: whoever copies it from a
 * workflow history (where it sits inside the update's arguments) cannot use it again, elsewhere or
 * for anything else. The workflow records the verified operator, never what a caller claims.
 */
import { errors as joseErrors, importSPKI, jwtVerify, type CryptoKey, type JWTPayload, type KeyObject } from 'jose';
import { OperatorCredentialError } from '../../workflows/domain/errors';
import type { OperatorBinding, OperatorVerifier, SpentCredentials, VerifiedOperator } from '../ports';

/** The default and the upper bound of a credential's lifetime (`exp - iat`), SEC-6 and SEC-7. */
export const DEFAULT_MAX_TTL_MS = 10 * 60_000;
export const MAX_TTL_BOUND_MS = 60 * 60_000;

export interface JwtSettings {
  /** SPKI PEM of the identity provider's signing key (ES256 or RS256). */
  publicKeyPem: string;
  issuer: string;
  audience: string;
  /** Longest lifetime accepted (`exp - iat`); DEFAULT_MAX_TTL_MS when absent. */
  maxTtlMs?: number;
}

/** The claims a bound credential carries besides `iss`, `aud` and `roles`. */
const REQUIRED_CLAIMS = ['sub', 'exp', 'iat', 'jti', 'account_id', 'request_id', 'action'];
/** Clocks of the provider and the workers differ a little. */
const CLOCK_TOLERANCE_S = 30;

const refuse = (reason: string, message: string) => new OperatorCredentialError(message, { field: 'credential', reason });

export class JwtOperatorVerifier implements OperatorVerifier {
  private key?: Promise<CryptoKey | KeyObject>;
  private readonly maxTtlS: number;
  constructor(
    private readonly s: JwtSettings,
    private readonly spent: SpentCredentials,
  ) {
    this.maxTtlS = Math.floor((s.maxTtlMs ?? DEFAULT_MAX_TTL_MS) / 1000);
  }

  async verify(credential: string, b: OperatorBinding): Promise<VerifiedOperator> {
    const c = await this.signedClaims(credential);
    if (typeof c.sub !== 'string' || !c.sub || typeof c.jti !== 'string' || !c.jti) throw refuse('malformed', "the operator credential's sub or jti is not a string");
    if (c.exp! - c.iat! > this.maxTtlS) throw refuse('too_long_lived', `the operator credential lives longer than ${this.maxTtlS} s: ask for one minted for this action`);
    const roles = Array.isArray(c.roles) ? c.roles.filter((r): r is string => typeof r === 'string') : [];
    const misbound = bindingProblem(c, roles, b);
    // Spent even when it is refused: it now sits in this change's history, where others can read it.
    const spent = await this.spent.spend(c.jti, b.spender);
    if (misbound) throw misbound;
    if (!spent) throw refuse('replayed', 'the operator credential was used already');
    return { id: c.sub, name: typeof c.name === 'string' ? c.name : undefined, roles };
  }

  /** The payload of a credential whose signature, issuer, audience, times and required claims check out. */
  private async signedClaims(credential: string): Promise<JWTPayload> {
    if (typeof credential !== 'string' || credential.split('.').length !== 3) throw refuse('malformed', 'the operator credential is not a JWT');
    // The provider's key is an EC P-256 (ES256) or RSA (RS256) key; the PEM does not say which.
    this.key ??= importSPKI(this.s.publicKeyPem, 'ES256').catch(() => importSPKI(this.s.publicKeyPem, 'RS256'));
    try {
      const { payload } = await jwtVerify(credential, await this.key, {
        issuer: this.s.issuer,
        audience: this.s.audience,
        algorithms: ['ES256', 'RS256'],
        requiredClaims: REQUIRED_CLAIMS,
        // Also refuses an `iat` in the future, which would stretch the lifetime the claims state.
        maxTokenAge: this.maxTtlS,
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw refuse('expired', 'the operator credential has expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        if (err.reason === 'missing') throw refuse('malformed', `the operator credential lacks the claim ${err.claim}`);
        if (err.claim === 'iat') throw refuse('too_long_lived', 'the operator credential is issued in the future');
        throw refuse('claims', `the operator credential is not for this service (${err.claim})`);
      }
      throw refuse('forged', "the operator credential's signature does not verify");
    }
  }
}

/** Why a genuine credential does not fit this action, if it does not. */
function bindingProblem(c: JWTPayload, roles: string[], b: OperatorBinding): OperatorCredentialError | undefined {
  if (c.account_id !== b.accountId) return refuse('wrong_account', 'the operator credential is for another account');
  if (c.request_id !== b.requestId) return refuse('wrong_request', 'the operator credential is for another change');
  if (c.action !== b.action) return refuse('wrong_action', `the operator credential is for another action, not ${b.action}`);
  if (!roles.includes(b.action)) return refuse('missing_role', `the operator lacks the role ${b.action}`);
  return undefined;
}

/** Used when no key is configured: every support action is refused, with a reason that says why. */
export class NoOperatorVerifier implements OperatorVerifier {
  async verify(): Promise<VerifiedOperator> {
    throw refuse('not_configured', 'operator credentials are not configured on this worker (OPERATOR_JWT_PUBLIC_KEY)');
  }
}
