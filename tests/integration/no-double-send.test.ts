import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createActivities, type ActivityDeps, type NoticeRequest, type SendCodeRequest } from '../../activities';

let failures = 0;
/** Fails the history write of the first completion notice once: after its SMS and e-mail went out. */
function failAfterSendOnce(deps: ActivityDeps): ActivityDeps {
  let failed = false;
  return {
    ...deps,
    history: {
      list: (...a) => deps.history.list(...a),
      async append(accountId, entry, dedupId) {
        if (entry.kind === 'completed' && !failed) {
          failed = true;
          failures += 1;
          throw new Error('history store unavailable (injected)');
        }
        return deps.history.append(accountId, entry, dedupId);
      },
    },
  };
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ wrapDeps: failAfterSendOnce });
});
afterAll(async () => h?.close());

describe('no double sends (CH-1)', () => {
  it('CH-1: an activity failing after its sends is retried by Temporal without a second SMS or e-mail', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    await h.completeChange(account, newPhone);
    await eventually(async () => (await h.client.history(account.accountId)).some((e) => e.kind === 'completed'), 'completed entry after the retry');
    expect(failures).toBe(1);
    await h.smsSettled();
    expect(h.smsTo(newPhone).filter((m) => m.kind === 'completed')).toHaveLength(1);
    const mails = await h.smtp.waitFor((m) => m.to.includes(account.email!) && m.subject === 'Номер телефона изменён');
    expect(mails).toHaveLength(1);
    expect((await h.client.history(account.accountId)).filter((e) => e.kind === 'completed')).toHaveLength(1);
  });

  it('CH-1: the same activity run twice for one event (a worker lost its result) sends once', async () => {
    const account = await h.newAccount();
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: `phone-change/${account.accountId}`, runId: 'run-twice-1' } } as never);
    const acts = createActivities(h.services.deps);
    const req: NoticeRequest = {
      accountId: account.accountId,
      requestId: 'TWICE12345',
      kind: 'requested',
      key: 'requested-1',
      language: 'ru',
      smsTo: [account.phone],
      email: account.email,
      push: true,
      params: { requestId: 'TWICE12345', newPhoneMasked: '+7 *** ***-**-00' },
      at: new Date().toISOString(),
    };
    await env.run(acts.notify, req);
    await env.run(acts.notify, req);
    const code: SendCodeRequest = { accountId: account.accountId, requestId: 'TWICE12345', step: 'old', seq: 1, to: account.phone, language: 'ru', ttlMinutes: 5 };
    await env.run(acts.sendCode, code);
    await env.run(acts.sendCode, code);
    await eventually(() => h.smsTo(account.phone).length >= 2, 'SMS in the stream');
    await h.smtp.waitFor((m) => m.to.includes(account.email!));
    // Let any duplicate that would arrive do so: wait until the stream has everything published so far.
    await eventually(async () => (await h.client.history(account.accountId)).length >= 2, 'history');
    await h.smsSettled();
    expect(
      h
        .smsTo(account.phone)
        .map((m) => m.kind)
        .sort(),
    ).toEqual(['code_old', 'requested']);
    expect(h.smtp.received.filter((m) => m.to.includes(account.email!))).toHaveLength(1);
    expect((await h.client.history(account.accountId)).map((e) => e.kind).sort()).toEqual(['code_sent', 'requested']);
  });
});
