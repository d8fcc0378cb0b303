/** Account and binding activities (PRE-1..PRE-6, DONE-1) in MockActivityEnvironment over the fakes. */
import { describe, expect, it } from 'vitest';
import { activityEnv, expectFailure, seedAccount } from '../support/activity-env';

const NEW = '+79160000002';
const load = { accountId: 'acct-1', requestId: 'K7M2QX9PHA', newPhone: NEW, auth: 'two_factor' as const };

describe('loadAccount (fakes, MockActivityEnvironment)', () => {
  it('PRE-1: a verified account answers its snapshot (no identity data) and the request id is held by this run', async () => {
    const a = activityEnv();
    const account = await seedAccount(a.ports, { identityHash: 'secret-hash', lastPhoneChangeAt: '2026-11-24T10:00:00.000Z' });
    expect(await a.call('loadAccount', load)).toEqual({
      oldPhone: account.phone,
      email: account.email,
      language: 'ru',
      revision: (await a.ports.registry.getAccount('acct-1'))!.revision,
      hasIdentity: true,
      lastPhoneChangeAt: '2026-11-24T10:00:00.000Z',
    });
    expect(a.ports.registry.requestIds.get('K7M2QX9PHA')).toBe('phone-change/acct-1/run-1');
    // A retried activity is the same run: the same answer, no conflict with itself.
    expect((await a.call('loadAccount', load)).oldPhone).toBe(account.phone);
  });

  it.each([
    ['PRE-1: an unverified account', { verified: false }, load, 'AccountNotVerifiedError', 'accountId'],
    ['PRE-6: a profile flagged for a data mismatch', { profileMismatch: true }, load, 'ProfileMismatchError', 'accountId'],
    ['PRE-3: the current number again', {}, { ...load, newPhone: '+79160000001' }, 'SameNumberError', 'newPhone'],
    ['an unknown account', {}, { ...load, accountId: 'acct-unknown' }, 'AccountNotFoundError', 'accountId'],
  ])('%s is refused with a typed error naming the field, and nothing is held or counted', async (_name, overrides, req, type, field) => {
    const a = activityEnv();
    await seedAccount(a.ports, overrides);
    await expectFailure(a.call('loadAccount', req), type, { field });
    expect(a.ports.registry.requestIds.size).toBe(0);
    expect(a.ports.limiter.windows.size).toBe(0);
  });

  it("PRE-3, SEC-4: a number bound to another account is refused; the start still counts, so the fourth is limited (no free 'is it taken' oracle)", async () => {
    const a = activityEnv();
    await seedAccount(a.ports);
    await a.ports.registry.claimPhone(NEW, 'acct-other');
    await expectFailure(a.call('loadAccount', load), 'NumberTakenError', { field: 'newPhone' });
    for (const run of ['run-2', 'run-3']) await expectFailure(a.otherRun(run).call('loadAccount', load), 'NumberTakenError');
    const limited = await expectFailure(a.otherRun('run-4').call('loadAccount', load), 'RateLimitedError', { scope: 'startsPerNumber' });
    expect(limited.retryAfterMs).toBeGreaterThan(0);
  });

  it('PRE-4: a request id held by another run is a RequestIdConflictError', async () => {
    const a = activityEnv();
    await seedAccount(a.ports);
    await a.call('loadAccount', load);
    await expectFailure(a.otherRun('run-2').call('loadAccount', load), 'RequestIdConflictError', { field: 'requestId' });
  });
});

describe('settleBinding: before a change ends another way (fakes, MockActivityEnvironment)', () => {
  const binding = { accountId: 'acct-1', requestId: 'K7M2QX9PHA', oldPhone: '+79160000001', newPhone: NEW };
  const settle = { ...binding, changedAtFallback: '2026-11-25T02:00:00.000Z' };
  const bind = { ...binding, changedAt: '2026-11-25T01:17:00.000Z' };

  it("DONE-1 (crash after the local binding): bound by this request → bound, and the old number's claim the dead binding still held is given back", async () => {
    const a = activityEnv();
    await seedAccount(a.ports);
    await a.call('bindPhone', bind);
    await a.ports.registry.claimPhone(settle.oldPhone, 'acct-1'); // the binding died before it gave the old number back
    expect(await a.call('settleBinding', settle)).toEqual({ bound: true, changedAt: bind.changedAt });
    expect([await a.ports.registry.ownerOf(NEW), await a.ports.registry.ownerOf(settle.oldPhone)]).toEqual(['acct-1', undefined]);
    expect((await a.ports.registry.getAccount('acct-1'))?.value.closedRequestId).toBeUndefined();
  });

  it('DONE-1 (a binding cut off, not dead): not bound → the request is closed first; the binding then refuses and the claim it left on the new number is given back; the account keeps its number', async () => {
    const a = activityEnv();
    const account = await seedAccount(a.ports);
    await a.ports.registry.claimPhone(NEW, 'acct-1'); // a binding that claimed the number and had not yet written the account
    expect(await a.call('settleBinding', settle)).toEqual({ bound: false });
    expect(await a.ports.registry.ownerOf(NEW)).toBeUndefined();
    await expectFailure(a.call('bindPhone', bind), 'ConcurrentModificationError', { field: 'requestId' });
    const after = (await a.ports.registry.getAccount('acct-1'))!.value;
    expect({ phone: after.phone, closedRequestId: after.closedRequestId }).toEqual({ phone: account.phone, closedRequestId: 'K7M2QX9PHA' });
    expect([await a.ports.registry.ownerOf(NEW), await a.ports.registry.ownerOf(account.phone)]).toEqual([undefined, 'acct-1']);
    // Asked again (a retried activity): the same answer, nothing written.
    const revision = (await a.ports.registry.getAccount('acct-1'))!.revision;
    expect(await a.call('settleBinding', settle)).toEqual({ bound: false });
    expect((await a.ports.registry.getAccount('acct-1'))!.revision).toBe(revision);
    // The account's next change is not affected by the closed one.
    await a.otherRun('run-2').call('bindPhone', { ...bind, requestId: 'NEXTREQ001' });
    expect((await a.ports.registry.getAccount('acct-1'))!.value.phone).toBe(NEW);
  });
});

describe('settleBinding when a revert gave the number back (fakes, MockActivityEnvironment)', () => {
  it("DONE-1 DONE-4 (review): the account holds the change's new number through a revert, not through this change: not bound, and the number's claim stays the account's", async () => {
    const a = activityEnv();
    // The account went X → Y by an earlier change, and a revert put it back on X; this change (Y → X) is still open.
    await seedAccount(a.ports, { phone: NEW, lastChangeRequestId: 'EARLIER001', previousPhone: '+79160000009' });
    const req = { accountId: 'acct-1', requestId: 'K7M2QX9PHA', oldPhone: '+79160000009', newPhone: NEW, changedAtFallback: '2026-11-25T02:00:00.000Z' };
    expect(await a.call('settleBinding', req)).toEqual({ bound: false });
    expect(await a.ports.registry.ownerOf(NEW)).toBe('acct-1');
    expect((await a.ports.registry.getAccount('acct-1'))!.value.phone).toBe(NEW);
  });
});

describe('bindPhone (fakes, MockActivityEnvironment)', () => {
  const bind = { accountId: 'acct-1', requestId: 'K7M2QX9PHA', oldPhone: '+79160000001', newPhone: NEW, changedAt: '2026-11-25T01:17:00.000Z' };

  it('DONE-1: binds the new number, frees the old one and records the change; a retry changes nothing', async () => {
    const a = activityEnv();
    const account = await seedAccount(a.ports);
    await a.call('bindPhone', bind);
    const after = await a.ports.registry.getAccount('acct-1');
    expect(after?.value).toEqual({
      ...account,
      phone: NEW,
      previousPhone: account.phone,
      lastPhoneChangeAt: bind.changedAt,
      lastChangeRequestId: 'K7M2QX9PHA',
      revertedRequestId: undefined,
      phoneBoundAt: bind.changedAt,
    });
    expect([await a.ports.registry.ownerOf(NEW), await a.ports.registry.ownerOf(account.phone)]).toEqual(['acct-1', undefined]);
    await a.call('bindPhone', bind);
    expect((await a.ports.registry.getAccount('acct-1'))?.revision).toBe(after?.revision);
  });

  it('PRE-3: a number bound to another account meanwhile is refused and nothing changes', async () => {
    const a = activityEnv();
    const account = await seedAccount(a.ports);
    await a.ports.registry.claimPhone(NEW, 'acct-other');
    await expectFailure(a.call('bindPhone', bind), 'NumberTakenError', { field: 'newPhone' });
    expect((await a.ports.registry.getAccount('acct-1'))?.value).toEqual(account);
    expect(await a.ports.registry.ownerOf(NEW)).toBe('acct-other');
  });

  it("the account's number changed while the change was open: ConcurrentModificationError, the claim given back", async () => {
    const a = activityEnv();
    await seedAccount(a.ports, { phone: '+79160000009' });
    await expectFailure(a.call('bindPhone', bind), 'ConcurrentModificationError');
    expect(await a.ports.registry.ownerOf(NEW)).toBeUndefined();
  });
});
