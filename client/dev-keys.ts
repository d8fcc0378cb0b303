/**
 * Development only: the local stack's ES256 key pairs kept under DATA_DIR (the calling service's
 * key for the API, the operators' identity provider's key for the worker), made once and read by
 * the development signers. One helper for both, so they cannot drift. Nothing signs with
 * NODE_ENV=production: there each service and the identity provider hold their own keys.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, type CryptoKey } from 'jose';

export function devKeyPair(dir: string) {
  return { dir, publicKey: join(dir, 'public.pem'), privateKey: join(dir, 'private.pem') };
}

/** Makes the key pair in `dir` unless it is there; returns the public key's path. */
export async function ensureDevKeyPair(dir: string): Promise<string> {
  const p = devKeyPair(dir);
  if (!existsSync(p.publicKey)) {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    mkdirSync(p.dir, { recursive: true });
    writeFileSync(p.privateKey, await exportPKCS8(privateKey), { mode: 0o600 });
    writeFileSync(p.publicKey, await exportSPKI(publicKey));
  }
  return p.publicKey;
}

/** The private key of `dir` for a development signer; `refusal` says what production uses instead. */
export async function devSigningKey(dir: string, refusal: string, env: NodeJS.ProcessEnv = process.env): Promise<CryptoKey> {
  if (env.NODE_ENV === 'production') throw new Error(refusal);
  const p = devKeyPair(dir);
  if (!existsSync(p.privateKey)) throw new Error(`no development key in ${p.dir}: start the local stack (npm start) first`);
  return importPKCS8(readFileSync(p.privateKey, 'utf8'), 'ES256');
}
