/**
 * The local stack's stand-in for the operators' identity provider: an ES256 key pair kept under
 * DATA_DIR, whose public half the worker trusts and whose private half `dev operator-token` signs
 * with. Development only: production points OPERATOR_JWT_PUBLIC_KEY at the real provider, and
 * nothing here signs when NODE_ENV=production.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { OperatorRole } from '../workflows/phone-change.defs';
import { devKeyPair, devSigningKey, ensureDevKeyPair } from '../client/dev-keys';

export const DEV_OPERATOR_ISSUER = 'phone-change-operators';

export function devKeyPaths(dataDir: string) {
  return devKeyPair(join(dataDir, 'operator-jwt'));
}

export function ensureDevOperatorKeys(dataDir: string): Promise<string> {
  return ensureDevKeyPair(devKeyPaths(dataDir).dir);
}

/** What a development credential is bound to (SEC-6): one account, one change, one action. */
export interface DevOperatorToken {
  operator: string;
  name?: string;
  account: string;
  requestId: string;
  action: OperatorRole;
  /** e.g. '5m'; the worker refuses more than OPERATOR_JWT_MAX_TTL (10 min by default). */
  expiresIn: string;
}

export async function mintDevOperatorToken(dataDir: string, o: DevOperatorToken, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const key = await devSigningKey(devKeyPaths(dataDir).dir, "dev operator-token signs with the local stack's key only: in production, credentials come from the operators' identity provider", env);
  return new SignJWT({ roles: [o.action], action: o.action, account_id: o.account, request_id: o.requestId, ...(o.name ? { name: o.name } : {}) })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject(o.operator)
    .setIssuer(DEV_OPERATOR_ISSUER)
    .setAudience('phone-change')
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(o.expiresIn)
    .sign(key);
}
