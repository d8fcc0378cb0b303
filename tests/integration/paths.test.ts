import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IDENTITY, eventually, operatorToken, startHarness, wrongCode, PROOF_KEYS, type Harness, refusal } from '../support/harness';
import { hashRecoveryCode } from '../../activities/codes';
import { ChangeNotFoundError, InvalidInputError, InvalidTokenError, ProfileMismatchError, TwoFactorRequiredError, WrongStateError } from '../../workflows/domain/errors';
import type { SupportOverrideRequest } from '../../workflows/phone-change.defs';
import type { Account } from '../../activities/ports';
import type { Policy } from '../../workflows/domain/policy';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ policy: {} }); // the defaults: identity check on;
});
afterAll(async () => h?.close());

const OVERRIDE_FIELDS = {
  method: 'service_centre_passport' as const,
  evidenceRef: 'mfc-77-2026-11-24-0042',
  reason: 'SIM card lost, passport checked at the service centre',
};
/** SEC-6: an override with a credential minted for this one change. */
const overrideFor = async (ref: { accountId: string; requestId: string }): Promise<SupportOverrideRequest> => ({
  credential: await operatorToken({ account: ref.accountId, requestId: ref.requestId, name: 'Петрова' }),
  ...OVERRIDE_FIELDS,
});

async function begin(overrides: Partial<Account> = {}, policy: Partial<Policy> = { identityCheck: true }) {
  const account = await h.newAccount(overrides);
  const newPhone = h.freshPhone();
  const ref = await (await h.clientWith(policy)).start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
  return { account, newPhone, ref };
}

const eventsOf = (accountId: string) => h.events.items.filter((e) => e.accountId === accountId).map((e) => e.type);
const historyKinds = async (accountId: string) => (await h.client.history(accountId)).map((e) => e.kind);

async function finishWithNewCode(accountId: string, newPhone: string): Promise<void> {
  const code = await h.codeSentTo(newPhone);
  expect((await h.client.submitCode(accountId, 'new', code)).outcome).toBe('accepted');
  expect((await h.client.result(accountId)).state).toBe('completed');
}

describe('every path of a change against the real servers', () => {
  it('LOST-1 LOST-2 LOST-3: lost old number → support override (recorded) → new-number code → completed', async () => {
    const { account, newPhone, ref } = await begin();
    await h.passIdentity(account);
    await h.codeSentTo(account.phone);
    expect((await h.client.reportOldNumberLost(account.accountId)).state).toBe('awaiting_support');
    await eventually(async () => (await h.client.list('awaiting_support')).some((c) => c.accountId === account.accountId), 'listed as waiting for support');

    const OVERRIDE = await overrideFor(ref);
    const missing = await refusal(h.client.supportOverride(account.accountId, { ...OVERRIDE, evidenceRef: ' ' }));
    expect(missing).toBeInstanceOf(InvalidInputError);
    expect((missing as InvalidInputError).field).toBe('evidenceRef');

    expect((await h.client.supportOverride(account.accountId, OVERRIDE)).state).toBe('awaiting_new_number');
    expect((await h.client.status(account.accountId)).support).toMatchObject({ reason: 'old_number_lost', override: { operator: { id: 'op-17', name: 'Петрова' }, ...OVERRIDE_FIELDS } });
    await finishWithNewCode(account.accountId, newPhone);

    const entries = await eventually(async () => {
      const all = await h.client.history(account.accountId);
      return all.some((e) => e.kind === 'completed') && all;
    }, 'completed in history');
    const override = entries.find((e) => e.kind === 'support_override');
    expect(override).toMatchObject({ actor: 'op-17 (Петрова)', details: { method: 'service_centre_passport', evidenceRef: OVERRIDE.evidenceRef, reason: OVERRIDE.reason } });
    expect(entries.map((e) => e.kind)).toContain('old_number_lost');
    await eventually(() => eventsOf(account.accountId).includes('completed'), 'completed event');
    expect(eventsOf(account.accountId)).toEqual(['requested', 'support_override', 'completed']);
    await h.smtp.waitFor((m) => m.to.includes(account.email!) && m.subject === 'Личность подтверждена поддержкой');
    expect((await h.services.deps.registry.getAccount(account.accountId))?.value.phone).toBe(newPhone);
  });

  it('LOST-2: an override for a change that is not waiting for support, or for no change, is refused', async () => {
    const { account, ref } = await begin();
    const notWaiting = await refusal(h.client.supportOverride(account.accountId, await overrideFor(ref)));
    expect(notWaiting).toBeInstanceOf(WrongStateError);
    expect((notWaiting as WrongStateError).details.state).toBe('awaiting_identity');
    expect(await refusal(h.client.supportOverride('no-such-account-y', await overrideFor({ accountId: 'no-such-account-y', requestId: ref.requestId })))).toBeInstanceOf(ChangeNotFoundError);
  });

  it('FREQ-1 FREQ-2: a change within 24 h of the previous one warns on every channel, is held, and completes after an override', async () => {
    const { account, newPhone, ref } = await begin({ lastPhoneChangeAt: new Date(Date.now() - 3 * 3600_000).toISOString() });
    expect(ref.state).toBe('awaiting_support');
    const status = await h.client.status(account.accountId);
    expect(status).toMatchObject({ frequentChange: true, support: { reason: 'frequent_change' } });
    await eventually(() => h.smsTo(account.phone).some((m) => m.kind === 'frequent_change'), 'frequent-change SMS');
    await h.smtp.waitFor((m) => m.to.includes(account.email!) && m.subject === 'Частая смена номера телефона');
    await h.smsSettled();
    expect(h.smsTo(account.phone).some((m) => m.kind === 'code_old')).toBe(false); // self-service proofs alone do not move it
    await h.client.supportOverride(account.accountId, { ...(await overrideFor(ref)), method: 'video_verification' });
    await finishWithNewCode(account.accountId, newPhone);
    await eventually(async () => (await historyKinds(account.accountId)).includes('completed'), 'completed in history');
    expect(await historyKinds(account.accountId)).toEqual(expect.arrayContaining(['frequent_change', 'support_override']));
  });

  it('FREQ-2: a held change expires without an override, and the citizen is told', async () => {
    const { account } = await begin({ lastPhoneChangeAt: new Date().toISOString() }, { changeTtlMs: 1500 });
    expect((await h.client.result(account.accountId)).state).toBe('expired');
    await eventually(async () => (await historyKinds(account.accountId)).includes('expired'), 'expired in history');
    expect(await historyKinds(account.accountId)).toContain('frequent_change');
    await eventually(() => eventsOf(account.accountId).includes('expired'), 'expired event');
  });

  it('FREQ-1: a change more than 24 h after the previous one is not held', async () => {
    const { ref } = await begin({ lastPhoneChangeAt: new Date(Date.now() - 25 * 3600_000).toISOString() });
    expect(ref.state).toBe('awaiting_identity');
  });

  it('SEC-2: identity confirmed through the single-use link; the link cannot be used twice', async () => {
    const { account } = await begin();
    const token = await h.linkTokenSentTo(account.phone, 'identity_link');
    const verdict = await h.client.confirmIdentity(account.accountId, { token, fullName: '  иванова  анна сергеевна', passport: '45 10 123456' });
    expect(verdict).toMatchObject({ outcome: 'confirmed' });
    await eventually(async () => (await h.client.status(account.accountId)).state === 'awaiting_old_number', 'old-number step');
    const again = await refusal(h.client.confirmIdentity(account.accountId, { token, fullName: 'Иванова Анна Сергеевна', passport: '4510 123456' }));
    expect(again).toBeInstanceOf(WrongStateError);
  });

  it('SEC-2: a mismatch counts as a failed attempt; exhausted mismatches fail the change with a notice', async () => {
    const { account } = await begin();
    const token = await h.linkTokenSentTo(account.phone, 'identity_link');
    const wrong = { token, fullName: 'Иванова Анна Сергеевна', passport: '4510 654321' };
    expect(await h.client.confirmIdentity(account.accountId, wrong)).toMatchObject({ outcome: 'mismatch', attemptsLeft: 2 });
    const forged = await refusal(h.client.confirmIdentity(account.accountId, { ...wrong, token: 'A'.repeat(16) }));
    expect(forged).toBeInstanceOf(InvalidTokenError);
    // SEC-5: a used link is spent whatever the outcome; the next attempt comes through a new link.
    expect(await refusal(h.client.confirmIdentity(account.accountId, { ...wrong, ...DEFAULT_IDENTITY }))).toBeInstanceOf(InvalidTokenError);
    const second = await h.linkTokenSentTo(account.phone, 'identity_link', 2);
    expect(await h.client.confirmIdentity(account.accountId, { ...wrong, token: second })).toMatchObject({ outcome: 'mismatch', attemptsLeft: 1 });
    const third = await h.linkTokenSentTo(account.phone, 'identity_link', 3);
    expect(await h.client.confirmIdentity(account.accountId, { ...wrong, token: third })).toMatchObject({ outcome: 'exhausted', attemptsLeft: 0 });
    expect(await h.client.result(account.accountId)).toMatchObject({ state: 'failed', failure: { type: 'IdentityCheckFailed' } });
    const kinds = await historyKinds(account.accountId);
    expect(kinds.filter((k) => k === 'identity_mismatch')).toHaveLength(3);
    expect(kinds).toContain('failed');
    const bad = await refusal(h.client.confirmIdentity(account.accountId, { token, fullName: 'Anna', passport: '12' }));
    expect(bad).toBeInstanceOf(InvalidInputError);
    expect((bad as InvalidInputError).field).toBe('fullName');
  });

  it('SEC-3: the "this wasn\'t me" link rejects the change at once and tells all contacts; reused or forged tokens are refused', async () => {
    const { account, newPhone } = await begin();
    const token = await h.linkTokenSentTo(account.phone, 'requested');
    expect(await refusal(h.client.rejectByOwner(account.accountId, 'B'.repeat(16)))).toBeInstanceOf(InvalidTokenError);
    expect((await h.client.rejectByOwner(account.accountId, token)).state).toBe('rejected');
    expect((await h.client.result(account.accountId)).state).toBe('rejected');
    expect(await refusal(h.client.rejectByOwner(account.accountId, token))).toBeInstanceOf(ChangeNotFoundError);
    await h.smtp.waitFor((m) => m.to.includes(account.email!) && m.subject === 'Смена номера телефона отклонена');
    await eventually(() => h.smsTo(account.phone).some((m) => m.kind === 'rejected'), 'rejected SMS to the old number');
    await eventually(() => eventsOf(account.accountId).includes('rejected'), 'rejected event');
    await eventually(async () => (await historyKinds(account.accountId)).includes('rejected'), 'rejected in history');
    expect(await h.services.deps.registry.ownerOf(newPhone)).toBeUndefined();
  });

  it('SEC-3: support can reject a change, and the operator is recorded', async () => {
    const { account, ref } = await begin();
    const credential = await operatorToken({ account: account.accountId, requestId: ref.requestId, action: 'support:reject', sub: 'op-3' });
    await h.client.rejectBySupport(account.accountId, credential, 'the owner called: not them');
    expect((await h.client.result(account.accountId)).state).toBe('rejected');
    const entry = await eventually(async () => (await h.client.history(account.accountId)).find((e) => e.kind === 'rejected'), 'rejected entry');
    expect(entry).toMatchObject({ actor: 'op-3', details: { reason: 'the owner called: not them' } });
  });

  it('a citizen can cancel an open change; a closed one cannot be cancelled', async () => {
    const { account } = await begin();
    expect((await h.client.cancel(account.accountId)).state).toBe('cancelled');
    await eventually(() => eventsOf(account.accountId).includes('cancelled'), 'cancelled event');
    await eventually(async () => (await historyKinds(account.accountId)).includes('cancelled'), 'cancelled in history');
    expect((await h.client.result(account.accountId)).state).toBe('cancelled');
    expect(await refusal(h.client.cancel(account.accountId))).toBeInstanceOf(ChangeNotFoundError);
  });

  it('PRE-5 SEC-1: a self-service start without two factors is refused', async () => {
    const account = await h.newAccount();
    const err = await refusal(h.client.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'password_only' }));
    expect(err).toBeInstanceOf(TwoFactorRequiredError);
    expect((err as TwoFactorRequiredError).field).toBe('auth');
    await h.smsSettled();
    expect(h.smsTo(account.phone)).toHaveLength(0);
  });

  it('PRE-5: a change by an operator at a service centre or with an e-signature is accepted', async () => {
    for (const auth of ['service_centre', 'e_signature'] as const) {
      const account = await h.newAccount();
      expect((await h.client.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth })).state).toBe('awaiting_identity');
    }
  });

  it('PRE-6: an account flagged for a profile mismatch is refused until fixed', async () => {
    const account = await h.newAccount({ profileMismatch: true });
    const err = await refusal(h.client.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' }));
    expect(err).toBeInstanceOf(ProfileMismatchError);
    // Fixed profile: a new change goes ahead.
    const found = await h.services.deps.registry.getAccount(account.accountId);
    await h.services.deps.registry.putAccount({ ...found!.value, profileMismatch: false }, found!.revision);
    const ok = await h.client.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
    expect(ok.state).toBe('awaiting_identity');
  });

  it('REC-3: a backup recovery code replaces the old-number code once; a wrong or spent one counts as a wrong entry', async () => {
    const codes = ['AB12CD34', 'ZX98YU76'];
    const account = await h.newAccount({ recoveryCodeHashes: [] });
    const found = await h.services.deps.registry.getAccount(account.accountId);
    await h.services.deps.registry.putAccount({ ...found!.value, recoveryCodeHashes: codes.map((c) => hashRecoveryCode(PROOF_KEYS.recovery, account.accountId, c)) }, found!.revision);
    const newPhone = h.freshPhone();
    await (await h.clientWith({ identityCheck: false })).start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
    expect(await h.client.submitRecoveryCode(account.accountId, 'QQ11QQ11')).toMatchObject({ outcome: 'wrong', attemptsLeft: 2 });
    expect((await h.client.submitRecoveryCode(account.accountId, 'ab12-cd34')).outcome).toBe('accepted');
    await finishWithNewCode(account.accountId, newPhone);
    expect((await h.services.deps.registry.getAccount(account.accountId))?.value.recoveryCodeHashes).toHaveLength(1);
    expect(await historyKinds(account.accountId)).toContain('recovery_code_used');
    const bad = await refusal(h.client.submitRecoveryCode(account.accountId, 'no'));
    expect((bad as InvalidInputError).field).toBe('code');
  });

  it('OTP-4: the old-number code is still required unless support overrides (no shortcut by wrong codes)', async () => {
    const { account } = await begin({}, { identityCheck: false });
    const code = await h.codeSentTo(account.phone);
    expect((await h.client.submitCode(account.accountId, 'old', wrongCode(code))).outcome).toBe('wrong');
    expect(await refusal(h.client.submitCode(account.accountId, 'new', code))).toBeInstanceOf(WrongStateError);
  });
});
