/**
 * The local stack's stand-in for the operators' identity provider: an ES256 key pair kept under
 * DATA_DIR, whose public half the worker trusts and whose private half `dev operator-token` signs
 * with. Development only: production points OPERATOR_JWT_PUBLIC_KEY at the real provider, and
 * nothing here signs when NODE_ENV=production.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, SignJWT } from 'jose';
import type { OperatorRole } from '../workflows/phone-change.defs';

export const DEV_OPERATOR_ISSUER = 'phone-change-operators';

export function devKeyPaths(dataDir: string) {
  const dir = join(dataDir, 'operator-jwt');
  return { dir, publicKey: join(dir, 'public.pem'), privateKey: join(dir, 'private.pem') };
}

export async function ensureDevOperatorKeys(dataDir: string): Promise<string> {
  const p = devKeyPaths(dataDir);
  if (!existsSync(p.publicKey)) {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    mkdirSync(p.dir, { recursive: true });
    writeFileSync(p.privateKey, await exportPKCS8(privateKey), { mode: 0o600 });
    writeFileSync(p.publicKey, await exportSPKI(publicKey));
  }
  return p.publicKey;
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
  if (env.NODE_ENV === 'production') {
    throw new Error("dev operator-token signs with the local stack's key only: in production, credentials come from the operators' identity provider");
  }
  const p = devKeyPaths(dataDir);
  if (!existsSync(p.privateKey)) throw new Error(`no development operator key in ${p.dir}: start the local stack (npm start) first`);
  const key = await importPKCS8(readFileSync(p.privateKey, 'utf8'), 'ES256');
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
