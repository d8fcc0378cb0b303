/** Code and link sending (OTP-1, OTP-2, SEC-2) in MockActivityEnvironment over the fakes. */
import { describe, expect, it } from 'vitest';
import { deriveCode, deriveToken } from '../../activities/codes';
import { activityEnv, expectFailure } from '../support/activity-env';

const TO = '+79161234567';
const send = (seq: number, step: 'old' | 'new' = 'old') => ({ accountId: 'acct-1', requestId: 'K7M2QX9PHA', step, seq, to: TO, language: 'ru' as const, ttlMinutes: 5 });

describe('sendCode (fakes, MockActivityEnvironment)', () => {
  it('OTP-1: code n of a step goes by SMS once, derived from the run, with its history entry (number masked)', async () => {
    const a = activityEnv();
    await a.call('sendCode', send(1));
    await a.call('sendCode', send(1)); // a retried activity
    const code = deriveCode(a.ports.keys.codes, 'run-1', 'old', 1);
    expect(a.ports.sms.sent).toEqual([{ to: TO, text: expect.stringContaining(code), accountId: 'acct-1', requestId: 'K7M2QX9PHA', kind: 'code_old', id: a.id('code-old-1') }]);
    const history = await a.ports.history.list('acct-1');
    expect(history.map((e) => [e.kind, e.channels, e.text])).toEqual([['code_sent', ['sms'], 'code 1 for the old number sent to +7 *** ***-**-67']]);
    expect(JSON.stringify(history)).not.toContain(code);
  });

  it('OTP-2, OTP-3: another step or a resend is another code under its own id', async () => {
    const a = activityEnv();
    await a.call('sendCode', send(2));
    await a.call('sendCode', send(1, 'new'));
    expect(a.ports.sms.sent.map((m) => [m.id, m.kind])).toEqual([
      [a.id('code-old-2'), 'code_old'],
      [a.id('code-new-1'), 'code_new'],
    ]);
    const codes = a.ports.sms.sent.map((m) => /\d{6}/.exec(m.text)?.[0]);
    expect(codes).toEqual([deriveCode(a.ports.keys.codes, 'run-1', 'old', 2), deriveCode(a.ports.keys.codes, 'run-1', 'new', 1)]);
  });

  it('SEC-4: the codes per number are limited; a refused code is not sent', async () => {
    const a = activityEnv();
    const { max } = a.ports.limits.codesPerNumber;
    for (let seq = 1; seq <= max; seq++) await a.call('sendCode', send(seq));
    await expectFailure(a.call('sendCode', send(max + 1)), 'RateLimitedError', { scope: 'codesPerNumber' });
    expect(a.ports.sms.sent).toHaveLength(max);
  });
});

describe('sendIdentityLink (fakes, MockActivityEnvironment)', () => {
  it('SEC-2: the single-use link goes by SMS once; the history names the masked number, not the link', async () => {
    const a = activityEnv();
    const req = { accountId: 'acct-1', requestId: 'K7M2QX9PHA', seq: 1, to: TO, language: 'en' as const };
    await a.call('sendIdentityLink', req);
    await a.call('sendIdentityLink', req);
    const url = `${a.ports.links.identity}/acct-1/${deriveToken(a.ports.keys.tokens, 'identity', 'run-1', 1)}`;
    expect(a.ports.sms.sent.map((m) => [m.id, m.kind, m.text])).toEqual([[a.id('identity-link-1'), 'identity_link', `Gosuslugi: to change your number, confirm your identity: ${url}`]]);
    expect((await a.ports.history.list('acct-1')).map((e) => e.text)).toEqual(['identity-check link sent to +7 *** ***-**-67']);
  });
});
