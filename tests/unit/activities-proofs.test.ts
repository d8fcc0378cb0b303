/** The worker's judgements (SEC-2, SEC-5, SEC-7, REC-3) in MockActivityEnvironment over the fakes. */
import { describe, expect, it } from 'vitest';
import { deriveCode, deriveToken, hashIdentity, hashRecoveryCode } from '../../activities/codes';
import { activityEnv, seedAccount } from '../support/activity-env';

const identity = { fullName: 'Иванова Анна Сергеевна', passport: '4510 123456' };

describe('proofs (fakes, MockActivityEnvironment)', () => {
  it("SEC-5: a code or token passes only as this run's latest of its purpose", async () => {
    const a = activityEnv();
    const code = deriveCode(a.ports.keys.codes, 'run-1', 'old', 2);
    expect(await a.call('verifyCode', { purpose: 'old', seq: 2, code })).toEqual({ match: true });
    expect(await a.call('verifyCode', { purpose: 'old', seq: 1, code })).toEqual({ match: false });
    expect(await a.call('verifyCode', { purpose: 'new', seq: 2, code })).toEqual({ match: false });
    expect(await a.otherRun('run-2').call('verifyCode', { purpose: 'old', seq: 2, code })).toEqual({ match: false });
    const token = deriveToken(a.ports.keys.tokens, 'reject', 'run-1', 1);
    expect(await a.call('verifyToken', { purpose: 'reject', seq: 1, token })).toEqual({ match: true });
    expect(await a.call('verifyToken', { purpose: 'identity', seq: 1, token })).toEqual({ match: false });
  });

  it('SEC-2: the identity data is judged only behind a valid link, against the keyed hash in the profile', async () => {
    const a = activityEnv();
    await seedAccount(a.ports, { identityHash: hashIdentity(a.ports.keys.identity, 'acct-1', identity) });
    const token = deriveToken(a.ports.keys.tokens, 'identity', 'run-1', 1);
    const judge = (t: string, passport: string) => a.call('verifyIdentity', { accountId: 'acct-1', seq: 1, token: t, fullName: identity.fullName, passport });
    expect(await judge(token, identity.passport)).toEqual({ tokenValid: true, matches: true });
    expect(await judge(token, '4510 000000')).toEqual({ tokenValid: true, matches: false });
    expect(await judge('forged-token-0001', identity.passport)).toEqual({ tokenValid: false, matches: false });
  });

  it('REC-3: a recovery code is spent once; the same change retrying is recognised, another change is refused', async () => {
    const a = activityEnv();
    const hashes = ['AB12CD34', 'EF56GH78'].map((c) => hashRecoveryCode(a.ports.keys.recovery, 'acct-1', c));
    await seedAccount(a.ports, { recoveryCodeHashes: hashes });
    const use = { accountId: 'acct-1', requestId: 'K7M2QX9PHA', code: 'AB12CD34' };
    expect(await a.call('useRecoveryCode', use)).toEqual({ accepted: true, left: 1 });
    expect(await a.call('useRecoveryCode', use)).toEqual({ accepted: true, left: 1 }); // a retry
    expect(await a.otherRun('run-2').call('useRecoveryCode', { ...use, requestId: 'OTHERREQ01' })).toEqual({ accepted: false, left: 1 });
    expect(await a.call('useRecoveryCode', { ...use, code: 'ZZ99ZZ99' })).toEqual({ accepted: false, left: 1 });
    expect((await a.ports.history.list('acct-1')).map((e) => e.kind)).toEqual(['recovery_code_used']);
  });

  it('SEC-7: the policy is the worker’s own', async () => {
    const a = activityEnv();
    expect(await a.call('workerPolicy')).toEqual(a.ports.policy);
  });
});
