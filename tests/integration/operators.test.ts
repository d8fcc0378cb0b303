import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { generateKeyPair } from 'jose';
import { eventually, operatorToken, startHarness, type Harness, refusal, type OperatorTokenOptions } from '../support/harness';
import { OperatorCredentialError, RequestIdConflictError, WrongStateError } from '../../workflows/domain/errors';
import { ensureNatsResources } from '../../activities/adapters/nats/resources';
import { KvSpentCredentials } from '../../activities/adapters/nats/spent-credentials';
import type { ChangeRef } from '../../workflows/phone-change.defs';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const FIELDS = { method: 'video_verification' as const, evidenceRef: 'video-77-0001', reason: 'SIM lost' };

async function waitingForSupport(harness = h, requestId?: string): Promise<ChangeRef> {
  const account = await harness.newAccount();
  const ref = await harness.client.start({ accountId: account.accountId, newPhone: harness.freshPhone(), auth: 'two_factor', requestId });
  await harness.client.reportOldNumberLost(account.accountId);
  return ref;
}

/** A credential for `ref`'s change, varied by `o`. */
const credentialFor = (ref: ChangeRef, o: Partial<OperatorTokenOptions> = {}) => operatorToken({ account: ref.accountId, requestId: ref.requestId, ...o });

/** The refusal is typed, names its reason, is recorded in the history and published, and the change still waits. */
async function expectRefusedAndUnchanged(err: unknown, ref: ChangeRef, reason: string, role = 'support:override'): Promise<void> {
  expect(err).toBeInstanceOf(OperatorCredentialError);
  expect((err as OperatorCredentialError).details).toMatchObject({ field: 'credential', reason });
  const status = await h.client.status(ref.accountId);
  expect(status.state).toBe('awaiting_support');
  expect(status.support?.override).toBeUndefined();
  const entry = await eventually(async () => (await h.client.history(ref.accountId)).find((e) => e.kind === 'security_event' && e.details?.reason === reason), `security event ${reason} in history`);
  expect(entry.details).toMatchObject({ role, reason });
  await eventually(() => h.events.items.some((e) => e.accountId === ref.accountId && e.type === 'security' && e.reason === reason), 'security event published');
}

describe('operator credentials (SEC-6: support overrides are the takeover target)', () => {
  it.each([
    ['signed by another key (forged)', async (ref: ChangeRef) => credentialFor(ref, { key: (await generateKeyPair('ES256')).privateKey }), 'forged'],
    ['that expired', (ref: ChangeRef) => credentialFor(ref, { expiresIn: -60 }), 'expired'],
    ['without the support:override role', (ref: ChangeRef) => credentialFor(ref, { roles: ['support:reject'] }), 'missing_role'],
    ['from another issuer', (ref: ChangeRef) => credentialFor(ref, { issuer: 'someone-else' }), 'claims'],
    ['not signed by the provider at all', async () => 'b3AtMTc.b3AtMTc.b3AtMTc', 'forged'],
    ['for another action (support:reject)', (ref: ChangeRef) => credentialFor(ref, { action: 'support:reject', roles: ['support:reject', 'support:override'] }), 'wrong_action'],
    ['without exp', (ref: ChangeRef) => credentialFor(ref, { omit: ['exp'] }), 'malformed'],
    ['without iat', (ref: ChangeRef) => credentialFor(ref, { omit: ['iat'] }), 'malformed'],
    ['without jti', (ref: ChangeRef) => credentialFor(ref, { omit: ['jti'] }), 'malformed'],
    ['living 11 min (over the 10 min maximum)', (ref: ChangeRef) => credentialFor(ref, { expiresIn: 11 * 60 }), 'too_long_lived'],
  ])('SEC-6: a credential %s is refused, recorded as a security event, and changes nothing', async (_name, mint, reason) => {
    const ref = await waitingForSupport();
    const err = await refusal(h.client.supportOverride(ref.accountId, { credential: await mint(ref), ...FIELDS }));
    await expectRefusedAndUnchanged(err, ref, reason);
  });

  it('SEC-6: a credential for change A is refused on change B, and nothing changed on B; shown there, it is spent', async () => {
    const a = await waitingForSupport();
    const b = await waitingForSupport();
    const forA = await credentialFor(a);
    await expectRefusedAndUnchanged(await refusal(h.client.supportOverride(b.accountId, { credential: forA, ...FIELDS })), b, 'wrong_account');
    // B's history holds it now, so it no longer works on A either.
    await expectRefusedAndUnchanged(await refusal(h.client.supportOverride(a.accountId, { credential: forA, ...FIELDS })), a, 'replayed');
  });

  it("SEC-6: an override credential is refused on the same account's next change (another request id)", async () => {
    const first = await waitingForSupport();
    const credential = await credentialFor(first);
    await h.client.supportOverride(first.accountId, { credential, ...FIELDS });
    await h.client.cancel(first.accountId);
    expect((await h.client.result(first.accountId)).state).toBe('cancelled');
    const next = await h.client.start({ accountId: first.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
    await h.client.reportOldNumberLost(first.accountId);
    await expectRefusedAndUnchanged(await refusal(h.client.supportOverride(next.accountId, { credential, ...FIELDS })), next, 'wrong_request');
  });

  it('PRE-4 hole 13: a request id is never reused by a new change, so a credential bound to it cannot come back', async () => {
    const first = await waitingForSupport(h, `RQ${randomUUID().slice(0, 8)}`);
    await h.client.supportOverride(first.accountId, { credential: await credentialFor(first), ...FIELDS });
    await h.client.cancel(first.accountId);
    expect((await h.client.result(first.accountId)).state).toBe('cancelled');
    const again = await refusal(h.client.start({ accountId: first.accountId, newPhone: h.freshPhone(), auth: 'two_factor', requestId: first.requestId }));
    expect(again).toBeInstanceOf(RequestIdConflictError);
  });

  it('SEC-6: an override credential used for the override is refused for a reject of the same change', async () => {
    const ref = await waitingForSupport();
    const credential = await credentialFor(ref);
    await h.client.supportOverride(ref.accountId, { credential, ...FIELDS });
    const err = await refusal(h.client.rejectBySupport(ref.accountId, credential, 'changed my mind'));
    expect(err).toBeInstanceOf(OperatorCredentialError);
    expect((err as OperatorCredentialError).details.reason).toBe('wrong_action');
    expect((await h.client.status(ref.accountId)).state).toBe('awaiting_new_number');
  });

  it('SEC-6: one credential sent twice at once: exactly one override is taken', async () => {
    const ref = await waitingForSupport();
    const credential = await credentialFor(ref, { sub: 'op-once' });
    const outcomes = await Promise.allSettled([1, 2].map(() => h.client.supportOverride(ref.accountId, { credential, ...FIELDS })));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const loser = outcomes.find((o) => o.status === 'rejected')!.reason as unknown;
    // Refused by the spent jti, or (when it arrived after the first finished) by the state.
    expect(loser instanceof WrongStateError || (loser instanceof OperatorCredentialError && loser.details.reason === 'replayed')).toBe(true);
    expect((await h.client.history(ref.accountId)).filter((e) => e.kind === 'support_override')).toHaveLength(1);
  });

  it("SEC-6: concurrent spends of one jti in the shared bucket: exactly one wins; the winner's retry is accepted", async () => {
    const spent = new KvSpentCredentials((await ensureNatsResources(h.services.nc, inject('natsReplicas') ?? 1)).spentCredentials);
    const jti = randomUUID();
    const won = await Promise.all(Array.from({ length: 8 }, (_, i) => spent.spend(jti, `wf/run/security-${i}`)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const winner = `wf/run/security-${won.indexOf(true)}`;
    expect(await spent.spend(jti, winner)).toBe(true);
    expect(await spent.spend(jti, 'wf/run/security-99')).toBe(false);
  });

  it('hole 14: a credential not shaped like a JWT, or a caller naming an operator, is refused before it enters history', async () => {
    const account = await waitingForSupport();
    const ref = account;
    const notJwt = await refusal(h.client.supportOverride(account.accountId, { credential: 'op-17', ...FIELDS }));
    expect(notJwt).toMatchObject({ name: 'InvalidInputError', details: { field: 'credential' } });
    const raw = await refusal(
      h.client.handle(account.accountId).executeUpdate('supportOverride', { args: [{ credential: await credentialFor(ref), ...FIELDS, operator: { id: 'op-claimed-by-caller' } }] }),
    );
    expect(String((raw as Error).cause)).toMatch(/unknown field "operator"/);
    expect((await h.client.status(account.accountId)).state).toBe('awaiting_support');
  });

  it('SEC-6: the verified operator is recorded', async () => {
    const ref = await waitingForSupport();
    const credential = await credentialFor(ref, { sub: 'op-verified', name: 'Сидорова' });
    await h.client.supportOverride(ref.accountId, { credential, ...FIELDS });
    expect((await h.client.status(ref.accountId)).support?.override?.operator).toEqual({ id: 'op-verified', name: 'Сидорова' });
    const entry = await eventually(async () => (await h.client.history(ref.accountId)).find((e) => e.kind === 'support_override'), 'override entry');
    expect(entry.actor).toBe('op-verified (Сидорова)');
  });

  it.each([
    ['an override credential', { action: 'support:override' as const }, 'wrong_action'],
    ['a revert credential without the support:revert role', { action: 'support:revert' as const, roles: ['support:override'] }, 'missing_role'],
  ])('SEC-6: a revert with %s is refused and the number stays', async (_name, o, reason) => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    const ref = await h.completeChange(account, newPhone);
    const err = await refusal(h.client.revert(account.accountId, ref.requestId, await credentialFor(ref, o), 'fraud'));
    expect(err).toBeInstanceOf(OperatorCredentialError);
    expect((err as OperatorCredentialError).details.reason).toBe(reason);
    expect((await h.services.deps.registry.getAccount(account.accountId))?.value.phone).toBe(newPhone);
  });
});

describe('operator credentials across a worker crash (SEC-6)', () => {
  let crashing: Harness;
  /** Spenders whose first verify "crashed" after the spend, before the activity could answer. */
  const crashedAfterSpend = new Set<string>();
  beforeAll(async () => {
    crashing = await startHarness({
      wrapDeps: (deps) => ({
        ...deps,
        operators: {
          async verify(credential, binding) {
            const operator = await deps.operators.verify(credential, binding);
            if (crashedAfterSpend.has(binding.spender)) return operator;
            crashedAfterSpend.add(binding.spender);
            throw new Error('the worker died after spending the credential');
          },
        },
      }),
    });
  });
  afterAll(async () => crashing?.close());

  it('SEC-6: a retried verify of the same spend is accepted', async () => {
    const ref = await waitingForSupport(crashing);
    const credential = await credentialFor(ref, { sub: 'op-retried' });
    expect((await crashing.client.supportOverride(ref.accountId, { credential, ...FIELDS })).state).toBe('awaiting_new_number');
    expect(crashedAfterSpend.size).toBe(1);
    expect((await crashing.client.status(ref.accountId)).support?.override?.operator).toEqual({ id: 'op-retried' });
  });
});
