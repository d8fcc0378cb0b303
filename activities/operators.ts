/**
 * Operator trust: support actions (override, reject, revert) carry a signed credential from the
 * operators' identity provider, a JWT verified here with its public key. The workflow records the
 * verified operator, never what a caller claims.
 */
import { errors as joseErrors, importSPKI, jwtVerify, type CryptoKey, type KeyObject } from 'jose';
import { OperatorCredentialError } from '../workflows/domain/errors';
import type { OperatorRole } from '../workflows/phone-change.defs';

export interface VerifiedOperator {
  id: string;
  name?: string;
  roles: string[];
}

/** Port: checks a credential and the role an action needs. */
export interface OperatorVerifier {
  verify(credential: string, role: OperatorRole): Promise<VerifiedOperator>;
}

export interface JwtSettings {
  /** SPKI PEM of the identity provider's signing key (ES256 or RS256). */
  publicKeyPem: string;
  issuer: string;
  audience: string;
}

const refuse = (reason: string, message: string) => new OperatorCredentialError(message, { field: 'credential', reason });

export class JwtOperatorVerifier implements OperatorVerifier {
  private key?: Promise<CryptoKey | KeyObject>;
  constructor(private readonly s: JwtSettings) {}

  async verify(credential: string, role: OperatorRole): Promise<VerifiedOperator> {
    if (typeof credential !== 'string' || credential.split('.').length !== 3) throw refuse('malformed', 'the operator credential is not a JWT');
    // The provider's key is an EC P-256 (ES256) or RSA (RS256) key; the PEM does not say which.
    this.key ??= importSPKI(this.s.publicKeyPem, 'ES256').catch(() => importSPKI(this.s.publicKeyPem, 'RS256'));
    let payload;
    try {
      ({ payload } = await jwtVerify(credential, await this.key, { issuer: this.s.issuer, audience: this.s.audience, algorithms: ['ES256', 'RS256'] }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw refuse('expired', 'the operator credential has expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw refuse('claims', `the operator credential is not for this service (${err.claim})`);
      throw refuse('forged', 'the operator credential\'s signature does not verify');
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
    if (!payload.sub) throw refuse('malformed', 'the operator credential names no operator (sub)');
    if (!roles.includes(role)) throw refuse('missing_role', `the operator lacks the role ${role}`);
    return { id: payload.sub, name: typeof payload.name === 'string' ? payload.name : undefined, roles };
  }
}

/** Used when no key is configured: every support action is refused, with a reason that says why. */
export class NoOperatorVerifier implements OperatorVerifier {
  async verify(): Promise<VerifiedOperator> {
    throw refuse('not_configured', 'operator credentials are not configured on this worker (OPERATOR_JWT_PUBLIC_KEY)');
  }
}
