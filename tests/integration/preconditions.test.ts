import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import { toTypedError } from '../../client/phone-change-client';
import { startHarness, type Harness, refusal } from '../support/harness';
import { AccountNotVerifiedError, ChangeAlreadyOpenError, InvalidInputError, NumberTakenError, SameNumberError, AccountNotFoundError } from '../../workflows/domain/errors';
import { startUpdate, workflowIdFor } from '../../workflows/phone-change.defs';
import { START_MESSAGES_PER_CHANGE } from '../../workflows/phone-change/handlers';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ policy: {} });
});
afterAll(async () => h?.close());

describe('preconditions (PRE-1..PRE-4), checked before anything is sent', () => {
  it('PRE-1: an unverified account is refused with a clear reason, and nothing is sent', async () => {
    const account = await h.newAccount({ verified: false });
    const err = await refusal(h.client.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' }));
    expect(err).toBeInstanceOf(AccountNotVerifiedError);
    expect((err as Error).message).toMatch(/not verified/);
    expect((await h.client.result(account.accountId)).state).toBe('refused');
    await h.smsSettled();
    expect(h.smsTo(account.phone)).toHaveLength(0);
  });

  it.each([
    ['+7 123', 'not_possible'],
    ['8 (495) 123-45-67', 'not_mobile'],
    ['+7 916 abc-45-67', 'characters'],
    ['', 'missing'],
  ])('PRE-2: a malformed number %j is refused (%s) and no change starts', async (raw, reason) => {
    const account = await h.newAccount();
    const err = await refusal(h.client.start({ accountId: account.accountId, newPhone: raw, auth: 'two_factor' }));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).details).toMatchObject({ field: 'newPhone', reason });
    const describe = await refusal(h.temporal.workflow.getHandle(workflowIdFor(account.accountId)).describe());
    expect(describe).toBeInstanceOf(WorkflowNotFoundError);
  });

  it('PRE-2: a number typed in a national format is normalised to E.164', async () => {
    const account = await h.newAccount();
    const ref = await h.client.start({ accountId: account.accountId, newPhone: `8 (916) 555-${Math.floor(Math.random() * 90 + 10)}-34`, auth: 'two_factor' });
    expect(ref.state).toBe('awaiting_identity');
    expect((await h.client.status(account.accountId)).newPhoneMasked).toBe('+7 *** ***-**-34');
  });

  it('PRE-3: the current number, or a number bound to another account, is refused', async () => {
    const owner = await h.newAccount();
    const account = await h.newAccount();
    const taken = await refusal(h.client.start({ accountId: account.accountId, newPhone: owner.phone, auth: 'two_factor' }));
    expect(taken).toBeInstanceOf(NumberTakenError);
    expect((taken as NumberTakenError).field).toBe('newPhone');
    const other = await h.newAccount();
    const same = await refusal(h.client.start({ accountId: other.accountId, newPhone: other.phone, auth: 'two_factor' }));
    expect(same).toBeInstanceOf(SameNumberError);
  });

  it('PRE-3: an unknown account is refused', async () => {
    const err = await refusal(h.client.start({ accountId: 'no-such-account-x', newPhone: h.freshPhone(), auth: 'two_factor' }));
    expect(err).toBeInstanceOf(AccountNotFoundError);
  });

  it('PRE-4: the same request id returns the same change; another is refused with the open change id', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    const first = await h.client.start({ accountId: account.accountId, newPhone, auth: 'two_factor', requestId: 'req-first-1' });
    const again = await h.client.start({ accountId: account.accountId, newPhone, auth: 'two_factor', requestId: 'req-first-1' });
    expect(again).toEqual(first);
    // A back end retrying the same start past the change's budget of starts: still the same change,
    // and history grows only up to the budget.
    const history = (await h.temporal.workflow.getHandle(first.workflowId).describe()).historyLength;
    for (let i = 0; i < START_MESSAGES_PER_CHANGE + 5; i++) expect(await h.client.start({ accountId: account.accountId, newPhone, auth: 'two_factor', requestId: 'req-first-1' })).toEqual(first);
    expect((await h.temporal.workflow.getHandle(first.workflowId).describe()).historyLength).toBeLessThanOrEqual(history + 5 * START_MESSAGES_PER_CHANGE);
    const other = await refusal(h.client.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor', requestId: 'req-second-2' }));
    expect(other).toBeInstanceOf(ChangeAlreadyOpenError);
    expect((other as ChangeAlreadyOpenError).details.openRequestId).toBe('req-first-1');
    // Exactly one request notice and one identity link went out: the repeated start sent nothing.
    await h.linkTokenSentTo(account.phone, 'identity_link');
    await h.smsSettled();
    expect(h.smsTo(account.phone).filter((m) => m.kind === 'identity_link')).toHaveLength(1);
    expect(h.smsTo(account.phone).filter((m) => m.kind === 'requested')).toHaveLength(1);
  });

  it('PRE-2: input that bypasses the client is still refused by the workflow, naming the field', async () => {
    const account = await h.newAccount();
    const startWorkflowOperation = new WithStartWorkflowOperation('phoneChange', {
      workflowId: workflowIdFor(account.accountId),
      taskQueue: h.taskQueue,
      args: [{ accountId: account.accountId, requestId: 'raw-request-1', newPhone: '89161234567', auth: 'two_factor' }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const err = await refusal(
      h.temporal.workflow.executeUpdateWithStart(startUpdate, { args: [{ requestId: 'raw-request-1', newPhone: '89161234567', auth: 'two_factor' }], startWorkflowOperation }).catch((e: unknown) => {
        throw toTypedError(e);
      }),
    );
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).field).toBe('newPhone');
    await h.smsSettled();
    expect(h.smsTo(account.phone)).toHaveLength(0);
  });

  it('PRE-3: two accounts racing for one number cannot both bind it', async () => {
    const contested = h.freshPhone();
    const racers = await Promise.all(Array.from({ length: 8 }, () => h.newAccount()));
    const owners = await Promise.all(racers.map((a) => h.services.deps.registry.claimPhone(contested, a.accountId)));
    expect(new Set(owners).size).toBe(1);
    expect(racers.map((a) => a.accountId)).toContain(owners[0]);
    expect(await h.services.deps.registry.ownerOf(contested)).toBe(owners[0]);
  });
});
