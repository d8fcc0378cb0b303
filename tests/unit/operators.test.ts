import { describe, expect, it } from 'vitest';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { JwtOperatorVerifier, NoOperatorVerifier } from '../../activities/operators';
import { OperatorCredentialError } from '../../workflows/domain/errors';

async function provider(alg: 'ES256' | 'RS256') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const verifier = new JwtOperatorVerifier({ publicKeyPem: await exportSPKI(publicKey), issuer: 'idp', audience: 'phone-change' });
  const token = (roles: string[]) =>
    new SignJWT({ roles, name: 'Петрова' }).setProtectedHeader({ alg }).setSubject('op-17').setIssuer('idp').setAudience('phone-change').setExpirationTime('5m').sign(privateKey);
  return { verifier, token };
}

describe('operator credentials, pure (SEC-4)', () => {
  it.each(['ES256', 'RS256'] as const)('verifies a %s credential and its role', async (alg) => {
    const { verifier, token } = await provider(alg);
    expect(await verifier.verify(await token(['support:revert']), 'support:revert')).toEqual({ id: 'op-17', name: 'Петрова', roles: ['support:revert'] });
    const err = await verifier.verify(await token(['support:revert']), 'support:override').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperatorCredentialError);
    expect((err as OperatorCredentialError).details.reason).toBe('missing_role');
  });

  it('refuses everything, with a reason, when no key is configured', async () => {
    const err = await new NoOperatorVerifier().verify().catch((e: unknown) => e);
    expect((err as OperatorCredentialError).details.reason).toBe('not_configured');
  });
});
