import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ policy: {} });
});
afterAll(async () => h?.close());

describe('a full phone change against real Temporal, NATS and SMTP', () => {
  it('SEC-2 OTP-1 OTP-2 DONE-1 DONE-2 SEC-3: confirms identity, proves both numbers, binds the new one and tells everyone', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    const ref = await h.client.start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
    expect(ref.state).toBe('awaiting_identity');
    expect((await h.passIdentity(account)).outcome).toBe('confirmed');

    const oldCode = await h.codeSentTo(account.phone);
    expect((await h.client.submitCode(account.accountId, 'old', oldCode)).outcome).toBe('accepted');
    const newCode = await h.codeSentTo(newPhone);
    expect((await h.client.submitCode(account.accountId, 'new', newCode)).outcome).toBe('accepted');

    const result = await h.client.result(account.accountId);
    expect(result.state).toBe('completed');

    // DONE-1: the registry holds the new number, confirmed; the index maps it and forgets the old one.
    const stored = await h.services.deps.registry.getAccount(account.accountId);
    expect(stored?.value.phone).toBe(newPhone);
    expect(stored?.value.phoneConfirmed).toBe(true);
    expect(await h.services.deps.registry.ownerOf(newPhone)).toBe(account.accountId);
    expect(await h.services.deps.registry.ownerOf(account.phone)).toBeUndefined();

    // SEC-3 and DONE-2 by e-mail: the request notice and the completion notice with the journal link.
    const mails = await h.smtp.waitFor((m) => m.to.includes(account.email!), 2);
    expect(mails.map((m) => m.subject)).toEqual(expect.arrayContaining(['Запрошена смена номера телефона', 'Номер телефона изменён']));
    expect(mails.find((m) => m.subject === 'Номер телефона изменён')?.text).toContain(`https://portal.test/journal/${ref.requestId}`);

    // SMS: exactly one code per step, the request notice to the old number, completion to both.
    await h.smsSettled();
    const toOld = h.smsTo(account.phone).map((m) => m.kind);
    const toNew = h.smsTo(newPhone).map((m) => m.kind);
    expect(toOld.sort()).toEqual(['code_old', 'completed_old', 'identity_link', 'requested']);
    expect(toNew.sort()).toEqual(['code_new', 'completed']);

    // Events and history.
    const events = await eventually(() => {
      const e = h.events.items.filter((x) => x.accountId === account.accountId).map((x) => x.type);
      return e.length >= 2 && e;
    }, 'events');
    expect(events).toEqual(['requested', 'completed']);
    const history = await h.client.history(account.accountId);
    expect(history.map((e) => e.kind).sort()).toEqual(['code_sent', 'code_sent', 'completed', 'completed_old', 'identity_link', 'requested']);
  });
});
