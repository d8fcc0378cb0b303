import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, wrongCode, type Harness } from '../support/harness';
import type { Policy } from '../../workflows/domain/policy';
import { ResendCooldownError, WrongStateError, InvalidInputError, CodesExhaustedError } from '../../workflows/domain/errors';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

/** The identity check (SEC-2) is off here: these tests are about codes. */
async function startChange(policy?: Partial<Policy>) {
  const account = await h.newAccount();
  const newPhone = h.freshPhone();
  const ref = await (await h.clientWith({ identityCheck: false, ...policy })).start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
  return { account, newPhone, ref };
}

describe('codes (OTP-3, OTP-4, OTP-5) against the real servers', () => {
  it('OTP-3 OTP-4: a wrong code is refused, attempts left go down, and the right one still works', async () => {
    const { account } = await startChange();
    const code = await h.codeSentTo(account.phone);
    const first = await h.client.submitCode(account.accountId, 'old', wrongCode(code));
    expect(first).toMatchObject({ outcome: 'wrong', attemptsLeft: 2, codesLeft: 4 });
    const second = await h.client.submitCode(account.accountId, 'old', wrongCode(code));
    expect(second).toMatchObject({ outcome: 'wrong', attemptsLeft: 1 });
    expect((await h.client.status(account.accountId)).steps!.old.attemptsLeft).toBe(1);
    expect((await h.client.submitCode(account.accountId, 'old', code)).outcome).toBe('accepted');
    await eventually(async () => (await h.client.status(account.accountId)).state === 'awaiting_new_number', 'new-number step');
    // OTP-4: each wrong entry is a notice in the history.
    const kinds = (await h.client.history(account.accountId)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'wrong_code')).toHaveLength(2);
  });

  it('OTP-3: a code submitted after its lifetime is answered "expired" and does not count as wrong', async () => {
    const { account } = await startChange({ codeTtlMs: 1000 });
    const code = await h.codeSentTo(account.phone);
    const expiresAt = Date.parse((await h.client.status(account.accountId)).steps!.old.codeExpiresAt!);
    await eventually(() => Date.now() > expiresAt + 50, 'code lifetime to pass', 5000);
    const verdict = await h.client.submitCode(account.accountId, 'old', code);
    expect(verdict).toMatchObject({ outcome: 'expired', attemptsLeft: 3 });
    expect((await h.client.status(account.accountId)).state).toBe('awaiting_old_number');
  });

  it('OTP-3: a resend inside the cooldown is refused with the time to wait; after it a new code goes out', async () => {
    const { account } = await startChange({ resendCooldownMs: 1500 });
    const first = await h.codeSentTo(account.phone);
    const refused = await h.client.resend(account.accountId, 'old').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ResendCooldownError);
    expect((refused as ResendCooldownError).details.retryAfterMs).toBeGreaterThan(0);
    expect((refused as ResendCooldownError).field).toBe('step');

    const sent = await eventually(() => h.client.resend(account.accountId, 'old').catch(() => undefined), 'resend after cooldown', 5000);
    expect(sent.codesLeft).toBe(3);
    const second = await h.codeSentTo(account.phone, 2);
    // The old code is no longer valid: only the latest counts.
    if (second !== first) expect((await h.client.submitCode(account.accountId, 'old', first)).outcome).toBe('wrong');
    expect((await h.client.submitCode(account.accountId, 'old', second)).outcome).toBe('accepted');
    await h.smsSettled();
    expect(h.smsTo(account.phone).filter((m) => m.kind === 'code_old')).toHaveLength(2);
  });

  it('OTP-3: no more codes than the policy allows per step', async () => {
    const { account } = await startChange({ resendCooldownMs: 1, maxCodesPerStep: 2 });
    await h.codeSentTo(account.phone);
    await eventually(() => h.client.resend(account.accountId, 'old').catch(() => undefined), 'second code');
    const refused = await h.client.resend(account.accountId, 'old').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CodesExhaustedError);
  });

  it('OTP-4: when the attempts are exhausted the change fails and a security notice is sent', async () => {
    const { account, ref } = await startChange({ maxCodesPerStep: 1, maxWrongPerCode: 2 });
    const code = await h.codeSentTo(account.phone);
    expect((await h.client.submitCode(account.accountId, 'old', wrongCode(code))).outcome).toBe('wrong');
    expect((await h.client.submitCode(account.accountId, 'old', wrongCode(code))).outcome).toBe('exhausted');
    const result = await h.client.result(account.accountId);
    expect(result).toMatchObject({ state: 'failed', failure: { type: 'AttemptsExhausted' } });
    const [mail] = await h.smtp.waitFor((m) => m.to.includes(account.email!) && m.subject === 'Смена номера телефона не выполнена');
    expect(mail?.text).toContain(ref.requestId);
    await eventually(() => h.events.items.some((e) => e.accountId === account.accountId && e.type === 'failed'), 'failed event');
    // The number did not change.
    expect((await h.services.deps.registry.getAccount(account.accountId))?.value.phone).toBe(account.phone);
  });

  it('OTP-5: the whole change expires when not finished in time, and the citizen is told', async () => {
    const { account } = await startChange({ changeTtlMs: 1500 });
    await h.codeSentTo(account.phone);
    const result = await h.client.result(account.accountId);
    expect(result.state).toBe('expired');
    await h.smtp.waitFor((m) => m.to.includes(account.email!) && m.subject === 'Заявка на смену номера истекла');
    await eventually(() => h.events.items.some((e) => e.accountId === account.accountId && e.type === 'expired'), 'expired event');
    await h.smsSettled();
    expect(h.smsTo(account.phone).map((m) => m.kind)).toContain('expired');
  });

  it('a code for the wrong step, or a malformed code, is refused with a typed error naming the field', async () => {
    const { account } = await startChange();
    await h.codeSentTo(account.phone);
    const wrongStep = await h.client.submitCode(account.accountId, 'new', '123456').catch((e: unknown) => e);
    expect(wrongStep).toBeInstanceOf(WrongStateError);
    expect((wrongStep as WrongStateError).details.state).toBe('awaiting_old_number');
    const malformed = await h.client.submitCode(account.accountId, 'old', '12ab').catch((e: unknown) => e);
    expect(malformed).toBeInstanceOf(InvalidInputError);
    expect((malformed as InvalidInputError).field).toBe('code');
    expect((await h.client.status(account.accountId)).steps!.old.attemptsLeft).toBe(3);
  });
});
