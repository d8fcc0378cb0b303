import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, wrongCode, type Harness, refusal } from '../support/harness';
import { RateLimitedError } from '../../workflows/domain/errors';
import { parseLimit } from '../../activities/limits';

const WINDOW = '3s';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    limits: {
      startsPerAccount: parseLimit(`2/${WINDOW}`),
      startsPerNumber: parseLimit(`2/${WINDOW}`),
      codesPerNumber: parseLimit(`2/${WINDOW}`),
      wrongEntriesPerAccount: parseLimit(`2/${WINDOW}`),
    },
  });
});
afterAll(async () => h?.close());

const policy = { identityCheck: false, resendCooldownMs: 1 };
let c: Harness['client'];
beforeAll(async () => {
  c = await h.clientWith(policy);
});

/** Retries `attempt` until it stops being rate limited, and says how long that took. */
async function allowedAgain<T>(attempt: () => Promise<T>): Promise<T> {
  return eventually(() => attempt().catch((e: unknown) => (e instanceof RateLimitedError ? undefined : Promise.reject(e))), 'the window to pass', 8000);
}

describe('limits against abuse, shared by all workers (SEC-4)', () => {
  it('change starts per account: refused with the time to wait, allowed again after the window', async () => {
    const account = await h.newAccount();
    for (let i = 0; i < 2; i++) {
      await c.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
      await h.client.cancel(account.accountId);
      await h.client.result(account.accountId);
    }
    const err = await refusal(c.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' }));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).details).toMatchObject({ scope: 'startsPerAccount', retryAfterMs: expect.any(Number) });
    expect((err as RateLimitedError).details.retryAfterMs as number).toBeLessThanOrEqual(3000);
    const ref = await allowedAgain(() => c.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' }));
    expect(ref.state).toBe('awaiting_old_number');
  });

  it('change starts per destination number, across accounts', async () => {
    const target = h.freshPhone();
    for (let i = 0; i < 2; i++) {
      const a = await h.newAccount();
      await c.start({ accountId: a.accountId, newPhone: target, auth: 'two_factor' });
    }
    const third = await h.newAccount();
    const err = await refusal(c.start({ accountId: third.accountId, newPhone: target, auth: 'two_factor' }));
    expect((err as RateLimitedError).details).toMatchObject({ scope: 'startsPerNumber' });
    await h.client.result(third.accountId); // the refused run is closed
    const fourth = await h.newAccount();
    const ref = await allowedAgain(() => c.start({ accountId: fourth.accountId, newPhone: target, auth: 'two_factor' }));
    expect(ref.state).toBe('awaiting_old_number');
  });

  it('codes sent per number: a resend over the cap is refused and costs no code; allowed after the window', async () => {
    const account = await h.newAccount();
    await c.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
    await h.codeSentTo(account.phone);
    await eventually(() => h.client.resend(account.accountId, 'old').catch(() => undefined), 'second code');
    const err = await refusal(h.client.resend(account.accountId, 'old'));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).details).toMatchObject({ scope: 'codesPerNumber' });
    expect((await h.client.status(account.accountId)).steps!.old.codesSent).toBe(2);
    const sent = await allowedAgain(() => h.client.resend(account.accountId, 'old'));
    expect(sent.codesLeft).toBe(2);
    await h.smsSettled();
    expect(h.smsTo(account.phone).filter((m) => m.kind === 'code_old')).toHaveLength(3);
  });

  it('wrong entries per account: further entries are refused until the window passes', async () => {
    const account = await h.newAccount();
    await (await h.clientWith({ ...policy, maxWrongPerCode: 5 })).start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
    const code = await h.codeSentTo(account.phone);
    await h.client.submitCode(account.accountId, 'old', wrongCode(code));
    await h.client.submitCode(account.accountId, 'old', wrongCode(code));
    const err = await refusal(h.client.submitCode(account.accountId, 'old', code));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).details).toMatchObject({ scope: 'wrongEntriesPerAccount' });
    const verdict = await allowedAgain(() => h.client.submitCode(account.accountId, 'old', code));
    expect(verdict.outcome).toBe('accepted');
  });
});
