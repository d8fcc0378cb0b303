import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from 'jose';
import { eventually, operatorToken, startHarness, type Harness, refusal } from '../support/harness';
import { OperatorCredentialError } from '../../workflows/domain/errors';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const FIELDS = { method: 'video_verification' as const, evidenceRef: 'video-77-0001', reason: 'SIM lost' };

async function waitingForSupport() {
  const account = await h.newAccount();
  await h.client.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
  await h.client.reportOldNumberLost(account.accountId);
  return account;
}

describe('operator credentials (SEC-4: support overrides are the takeover target)', () => {
  it.each([
    ['forged (signed by another key)', async () => operatorToken({ key: (await generateKeyPair('ES256')).privateKey }), 'forged'],
    ['expired', async () => operatorToken({ expiresIn: '-1m' }), 'expired'],
    ['under-privileged (no support:override role)', async () => operatorToken({ roles: ['support:reject'] }), 'missing_role'],
    ['from another issuer', async () => operatorToken({ issuer: 'someone-else' }), 'claims'],
    ['not signed by the provider at all', async () => 'b3AtMTc.b3AtMTc.b3AtMTc', 'forged'],
  ])('a %s credential is refused, recorded as a security event, and changes nothing', async (_name, mint, reason) => {
    const account = await waitingForSupport();
    const err = await refusal(h.client.supportOverride(account.accountId, { credential: await mint(), ...FIELDS }));
    expect(err).toBeInstanceOf(OperatorCredentialError);
    expect((err as OperatorCredentialError).details).toMatchObject({ field: 'credential', reason });
    expect((await h.client.status(account.accountId)).state).toBe('awaiting_support');
    const entry = await eventually(async () => (await h.client.history(account.accountId)).find((e) => e.kind === 'security_event'), 'security event in history');
    expect(entry.details).toMatchObject({ role: 'support:override', reason });
    await eventually(() => h.events.items.some((e) => e.accountId === account.accountId && e.type === 'security'), 'security event published');
  });

  it('hole 14: a credential not shaped like a JWT, or a caller naming an operator, is refused before it enters history', async () => {
    const account = await waitingForSupport();
    const notJwt = await refusal(h.client.supportOverride(account.accountId, { credential: 'op-17', ...FIELDS }));
    expect(notJwt).toMatchObject({ name: 'InvalidInputError', details: { field: 'credential' } });
    const raw = await refusal(h.client.handle(account.accountId).executeUpdate('supportOverride', { args: [{ credential: await operatorToken(), ...FIELDS, operator: { id: 'op-claimed-by-caller' } }] }));
    expect(String((raw as Error).cause)).toMatch(/unknown field "operator"/);
    expect((await h.client.status(account.accountId)).state).toBe('awaiting_support');
  });

  it('the verified operator is recorded', async () => {
    const account = await waitingForSupport();
    const credential = await operatorToken({ sub: 'op-verified', name: 'Сидорова' });
    await h.client.supportOverride(account.accountId, { credential, ...FIELDS });
    expect((await h.client.status(account.accountId)).support?.override?.operator).toEqual({ id: 'op-verified', name: 'Сидорова' });
    const entry = await eventually(async () => (await h.client.history(account.accountId)).find((e) => e.kind === 'support_override'), 'override entry');
    expect(entry.actor).toBe('op-verified (Сидорова)');
  });

  it('a revert needs the support:revert role', async () => {
    const account = await h.newAccount();
    const ref = await h.completeChange(account, h.freshPhone());
    const err = await refusal(h.client.revert(account.accountId, ref.requestId, await operatorToken({ roles: ['support:override'] }), 'fraud'));
    expect(err).toBeInstanceOf(OperatorCredentialError);
    expect((await h.services.deps.registry.getAccount(account.accountId))?.value.phone).not.toBe(account.phone);
  });
});
