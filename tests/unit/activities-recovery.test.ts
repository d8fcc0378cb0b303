/** REC-2's activities (support enables login) in MockActivityEnvironment over the fakes: what a retry sends, and which events reach the stream. */
import { describe, expect, it } from 'vitest';
import { activityEnv, seedAccount } from '../support/activity-env';
import { checkLogin } from '../../activities/passwords';
import { deriveTemporaryPassword } from '../../activities/codes';
import { passwordPublicKey, sealPassword } from '../../activities/adapters/password-seal';

const NEW = '+79160000002';
const enable = { accountId: 'acct-1', requestId: 'RECOVERY01', newPhone: NEW, operator: 'op-17', method: 'service_centre_passport', evidenceRef: 'MFC-1', reason: 'passport checked' };
const passwordOf = (text: string) => /пароль (\S+)\./.exec(text)![1]!;

describe('support recovery activities (fakes, MockActivityEnvironment)', () => {
  it('REC-2, CH-1 (crash): a retried issueTemporaryPassword sends one SMS, and the password in it still opens the first login', async () => {
    const a = activityEnv(undefined, { workflowId: 'support-recovery/acct-1', runId: 'run-1' });
    await seedAccount(a.ports, { email: undefined });
    await a.call('issueTemporaryPassword', enable);
    await a.call('issueTemporaryPassword', enable); // the retry after the SMS went out (say the history append failed)
    const sms = a.ports.sms.sent.filter((m) => m.kind === 'temporary_password');
    expect(sms.map((m) => m.to)).toEqual([NEW]);
    const stored = (await a.ports.registry.getAccount('acct-1'))!.value;
    expect(await checkLogin(stored, passwordOf(sms[0]!.text))).toBe('must_change');
  });

  it("REC-2 (SEC-5): the temporary password is the worker's to make: another run or number gets another, and its shape is 14 letters and digits, a dash and two digits", () => {
    const key = Buffer.alloc(32, 9);
    const one = deriveTemporaryPassword(key, 'run-1', NEW);
    expect(one).toMatch(/^[A-HJ-NP-Za-km-z2-9]{14}-[1-9]\d$/);
    expect(deriveTemporaryPassword(key, 'run-1', NEW)).toBe(one);
    expect(new Set([one, deriveTemporaryPassword(key, 'run-2', NEW), deriveTemporaryPassword(key, 'run-1', '+79160000003'), deriveTemporaryPassword(Buffer.alloc(32, 8), 'run-1', NEW)]).size).toBe(4);
  });

  it('REC-2: both sessions_end events of one recovery reach the stream (login enabled, then the temporary password replaced), under keys of their own', async () => {
    const a = activityEnv(undefined, { workflowId: 'support-recovery/acct-1', runId: 'run-1' });
    await seedAccount(a.ports, { email: undefined });
    await a.call('issueTemporaryPassword', enable);
    const temporary = passwordOf(a.ports.sms.sent.find((m) => m.kind === 'temporary_password')!.text);
    const sealed = sealPassword(passwordPublicKey(a.ports.keys.passwords), { accountId: 'acct-1', requestId: 'RECOVERY01', password: 'Leto-2026!Sobaka', current: temporary });
    const set = { accountId: 'acct-1', requestId: 'RECOVERY01', sealed, kind: 'first_login' as const };
    expect(await a.call('setPassword', set)).toEqual({ match: true });
    const ends = () => a.ports.events.sent.filter((e) => e.type === 'sessions_end').map((e) => (e as { reason?: string }).reason);
    expect(ends()).toEqual(['login_enabled_by_support', 'password_changed']);
  });
});
