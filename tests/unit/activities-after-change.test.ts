/** Operator checks (SEC-6), linked services (AFTER-1) and revert (DONE-4, AFTER-2) in MockActivityEnvironment over the fakes. */
import { describe, expect, it } from 'vitest';
import { activityEnv, expectFailure, seedAccount } from '../support/activity-env';

const operator = { id: 'op-17', name: 'Петрова', roles: ['support:override'] };
const verify = { role: 'support:override' as const, accountId: 'acct-1', requestId: 'K7M2QX9PHA', key: 'security-1' };

describe('verifyOperator (fakes, MockActivityEnvironment)', () => {
  it('SEC-6: a credential bound to this account, change and action answers the operator, spent under this run', async () => {
    const a = activityEnv();
    const credential = a.ports.operators.issue({ operator, accountId: 'acct-1', requestId: 'K7M2QX9PHA', action: 'support:override' });
    expect(await a.call('verifyOperator', { ...verify, credential })).toEqual(operator);
    expect(await a.call('verifyOperator', { ...verify, credential })).toEqual(operator); // its own retry
    await expectFailure(a.otherRun('run-2').call('verifyOperator', { ...verify, credential }), 'OperatorCredentialError', { reason: 'replayed' });
  });

  it('SEC-6: a refusal is a typed failure, recorded once as a security event in the history and on NATS', async () => {
    const a = activityEnv();
    const credential = a.ports.operators.issue({ operator, accountId: 'acct-other', requestId: 'K7M2QX9PHA', action: 'support:override' });
    for (let n = 0; n < 2; n++) await expectFailure(a.call('verifyOperator', { ...verify, credential }), 'OperatorCredentialError', { field: 'credential', reason: 'wrong_account' });
    expect((await a.ports.history.list('acct-1')).map(({ kind, details }) => ({ kind, details }))).toEqual([
      { kind: 'security_event', details: { role: 'support:override', reason: 'wrong_account' } },
    ]);
    expect(a.ports.events.sent).toEqual([expect.objectContaining({ type: 'security', reason: 'wrong_account', id: a.id('security-1-event') })]);
  });
});

describe('announceToLinkedServices (fakes, MockActivityEnvironment)', () => {
  const announce = { accountId: 'acct-1', requestId: 'K7M2QX9PHA', at: '2026-11-25T01:17:00.000Z', attempt: 0 };

  it("AFTER-1: every configured service learns the registry's number once per round; reminders only to those named", async () => {
    const a = activityEnv();
    await seedAccount(a.ports, { phone: '+79160000002', lastChangeRequestId: 'K7M2QX9PHA' });
    expect(await a.call('announceToLinkedServices', announce)).toEqual(['sms_subscriptions', 'bank_cards']);
    await a.call('announceToLinkedServices', announce);
    expect(await a.call('announceToLinkedServices', { ...announce, attempt: 1, only: ['bank_cards', 'unknown_service'] })).toEqual(['bank_cards']);
    expect(a.ports.linked.sent.map((m) => [m.service, m.newPhone, m.attempt, m.id])).toEqual([
      ['sms_subscriptions', '+79160000002', 0, a.id('linked-sms_subscriptions-0')],
      ['bank_cards', '+79160000002', 0, a.id('linked-bank_cards-0')],
      ['bank_cards', '+79160000002', 1, a.id('linked-bank_cards-1')],
    ]);
  });

  it('SEC-7, DONE-4: nobody is told for a change that is not the last, nor a reverted one; a revert tells the restored number', async () => {
    const a = activityEnv();
    await seedAccount(a.ports, { phone: '+79160000001', lastChangeRequestId: 'K7M2QX9PHA', revertedRequestId: 'K7M2QX9PHA' });
    expect(await a.call('announceToLinkedServices', { ...announce, requestId: 'OTHERREQ01' })).toEqual([]);
    expect(await a.call('announceToLinkedServices', announce)).toEqual([]);
    expect(await a.call('announceToLinkedServices', { ...announce, reverted: true })).toEqual(['sms_subscriptions', 'bank_cards']);
    expect(a.ports.linked.sent.map((m) => [m.newPhone, m.reverted, m.id])).toEqual([
      ['+79160000001', true, a.id('linked-sms_subscriptions-reverted')],
      ['+79160000001', true, a.id('linked-bank_cards-reverted')],
    ]);
  });
});

describe('revertPhone and loadContacts (fakes, MockActivityEnvironment)', () => {
  const changed = { phone: '+79160000002', previousPhone: '+79160000001', lastChangeRequestId: 'K7M2QX9PHA', lastPhoneChangeAt: '2026-11-20T10:00:00.000Z' };
  const revert = { accountId: 'acct-1', requestId: 'K7M2QX9PHA', windowMs: 30 * 86_400_000, at: '2026-11-25T01:17:00.000Z' };

  it('DONE-4: restores the replaced number, frees the other and answers the contacts; a retry is the same revert', async () => {
    const a = activityEnv();
    await seedAccount(a.ports, changed);
    const expected = { restoredPhone: '+79160000001', revertedFrom: '+79160000002', email: 'anna@example.test', language: 'ru' };
    expect(await a.call('revertPhone', revert)).toEqual(expected);
    const after = await a.ports.registry.getAccount('acct-1');
    expect(after?.value).toMatchObject({ phone: '+79160000001', previousPhone: '+79160000002', revertedRequestId: 'K7M2QX9PHA', lastPhoneChangeAt: revert.at });
    expect([await a.ports.registry.ownerOf('+79160000001'), await a.ports.registry.ownerOf('+79160000002')]).toEqual(['acct-1', undefined]);
    expect(await a.call('revertPhone', revert)).toEqual(expected);
    expect((await a.ports.registry.getAccount('acct-1'))?.revision).toBe(after?.revision);
  });

  it.each([
    ['the window has closed', changed, { at: '2026-12-25T01:17:00.000Z' }, 'RevertWindowClosedError'],
    ['the account changed again', { ...changed, lastChangeRequestId: 'LATERREQ01' }, {}, 'ConcurrentModificationError'],
  ])('DONE-4: refused when %s, and nothing changes', async (_name, account, over, type) => {
    const a = activityEnv();
    await seedAccount(a.ports, account);
    const before = await a.ports.registry.getAccount('acct-1');
    await expectFailure(a.call('revertPhone', { ...revert, ...over }), type, { field: 'requestId' });
    expect(await a.ports.registry.getAccount('acct-1')).toEqual(before);
  });

  it('DONE-4: refused when the old number is bound to another account now; the account keeps its number', async () => {
    const a = activityEnv();
    await seedAccount(a.ports, changed);
    await a.ports.registry.claimPhone('+79160000001', 'acct-other');
    await expectFailure(a.call('revertPhone', revert), 'NumberTakenError', { field: 'previousPhone' });
    expect((await a.ports.registry.getAccount('acct-1'))?.value.phone).toBe('+79160000002');
    expect(await a.ports.registry.ownerOf('+79160000001')).toBe('acct-other');
  });

  it('AFTER-2: the contacts a test delivery goes to; an unknown account is a typed error', async () => {
    const a = activityEnv();
    await seedAccount(a.ports, { language: 'en' });
    expect(await a.call('loadContacts', 'acct-1')).toEqual({ phone: '+79160000001', email: 'anna@example.test', language: 'en' });
    await expectFailure(a.call('loadContacts', 'acct-unknown'), 'AccountNotFoundError', { field: 'accountId' });
  });
});
