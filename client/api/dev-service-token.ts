/**
 * Development only: the local stack's stand-in for a calling service's key. `npm start` creates an
 * ES256 key pair under DATA_DIR/service-jwt and the API trusts its public half; `npm run -s
 * api:token` prints a service token signed with the private half, for curl. Production configures
 * the callers' public keys (API_SERVICE_JWT_PUBLIC_KEYS / _FILES) and each service signs its own.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';
import { devSigningKey, ensureDevKeyPair } from '../dev-keys';

const serviceKeyDir = (dataDir: string) => join(dataDir, 'service-jwt');

export function ensureDevServiceKey(dataDir: string): Promise<string> {
  return ensureDevKeyPair(serviceKeyDir(dataDir));
}

export async function mintDevServiceToken(dataDir: string, o: { sub?: string; scope?: string; ttl?: string } = {}, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const key = await devSigningKey(serviceKeyDir(dataDir), "api:token signs with the local stack's key only: in production each service signs its own tokens", env);
  return new SignJWT({ scope: o.scope ?? 'changes support' })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject(o.sub ?? 'portal-backend')
    .setIssuer(env.API_SERVICE_JWT_ISSUER ?? 'phone-change-services')
    .setAudience(env.API_SERVICE_JWT_AUDIENCE ?? 'phone-change-api')
    .setIssuedAt()
    .setExpirationTime(o.ttl ?? '10m')
    .sign(key);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  mintDevServiceToken(process.env.DATA_DIR ?? '.data', { sub: arg('sub'), scope: arg('scope'), ttl: arg('ttl') })
    .then((t) => console.log(t))
    .catch((err: unknown) => {
      console.error(`error: ${(err as Error).message}`);
      process.exit(2);
    });
}
