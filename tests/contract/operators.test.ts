/** The OperatorVerifier port (SEC-6): the JWT verifier over NATS KV spent ids, and the fake. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { JwtOperatorVerifier } from '../../activities/adapters/jwt-operator-verifier';
import { KvSpentCredentials } from '../../activities/adapters/nats/spent-credentials';
import type { OperatorBinding, OperatorVerifier } from '../../activities/ports';
import { OperatorCredentialError } from '../../workflows/domain/errors';
import { FakeOperatorVerifier, type FakeCredential } from '../support/fakes';
import { contract, natsOfRun, unique } from './contract';

interface Subject {
  verifier: OperatorVerifier;
  /** A credential the operators' identity provider would issue with these claims. */
  issue(c: FakeCredential): Promise<string>;
}

const operator = { id: 'op-17', name: 'Петрова', roles: ['support:override'] };
const binding = (): OperatorBinding => ({ action: 'support:override', accountId: unique('acct'), requestId: unique('REQ'), spender: unique('spender') });
const claimsFor = (b: OperatorBinding): FakeCredential => ({ operator, accountId: b.accountId, requestId: b.requestId, action: b.action });
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

async function expectRefused(p: Promise<unknown>, reason: string): Promise<void> {
  const err = await refusal(p);
  expect(err).toBeInstanceOf(OperatorCredentialError);
  expect((err as OperatorCredentialError).details).toMatchObject({ field: 'credential', reason });
}

contract<Subject>(
  'OperatorVerifier',
  [
    {
      name: 'JWT (ES256) with spent ids in NATS KV',
      async open() {
        const keys = await generateKeyPair('ES256', { extractable: true });
        const settings = { publicKeyPem: await exportSPKI(keys.publicKey), issuer: 'contract-idp', audience: 'phone-change' };
        const verifier = new JwtOperatorVerifier(settings, new KvSpentCredentials((await natsOfRun()).res.spentCredentials));
        const issue = (c: FakeCredential) =>
          new SignJWT({ name: c.operator.name, roles: c.operator.roles, account_id: c.accountId, request_id: c.requestId, action: c.action })
            .setProtectedHeader({ alg: 'ES256' })
            .setSubject(c.operator.id)
            .setIssuer(settings.issuer)
            .setAudience(settings.audience)
            .setJti(randomUUID())
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(keys.privateKey);
        return { verifier, issue };
      },
    },
    {
      name: 'in-memory fake',
      async open() {
        const verifier = new FakeOperatorVerifier();
        return { verifier, issue: async (c: FakeCredential) => verifier.issue(c) };
      },
    },
  ],
  [
    {
      name: 'SEC-6: a credential bound to this account, change and action names its operator; its own retry passes too',
      async run(s) {
        const b = binding();
        const credential = await s.issue(claimsFor(b));
        expect(await s.verifier.verify(credential, b)).toEqual(operator);
        expect(await s.verifier.verify(credential, b)).toEqual(operator);
      },
    },
    {
      name: 'SEC-6: the same credential spent by another action is refused as replayed',
      async run(s) {
        const b = binding();
        const credential = await s.issue(claimsFor(b));
        await s.verifier.verify(credential, b);
        await expectRefused(s.verifier.verify(credential, { ...b, spender: unique('spender') }), 'replayed');
      },
    },
    {
      name: 'SEC-6: a credential for another account, change or action is refused and spent',
      async run(s) {
        const b = binding();
        await expectRefused(s.verifier.verify(await s.issue(claimsFor(b)), { ...b, accountId: unique('acct') }), 'wrong_account');
        await expectRefused(s.verifier.verify(await s.issue(claimsFor(b)), { ...b, requestId: unique('REQ') }), 'wrong_request');
        const forReject = await s.issue(claimsFor(b));
        await expectRefused(s.verifier.verify(forReject, { ...b, action: 'support:reject' }), 'wrong_action');
        await expectRefused(s.verifier.verify(forReject, { ...b, spender: unique('spender') }), 'replayed');
      },
    },
    {
      name: 'SEC-6: a credential the provider never issued is refused as forged',
      async run(s) {
        await expectRefused(s.verifier.verify('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJvcC0xNyJ9.c2lnbmF0dXJl', binding()), 'forged');
      },
    },
  ],
);
