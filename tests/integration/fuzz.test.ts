/**
 * Property-based tests (fast-check) against a real change on the real servers: random and
 * malformed values at every update and signal, and at the client's start. Each is refused with
 * a typed error (or ignored, for signals) and the change's state does not move.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { eventually, startHarness, type Harness } from '../support/harness';
import { toTypedError } from '../../client/phone-change-client';
import { PhoneChangeError } from '../../workflows/domain/errors';
import {
  cancelUpdate,
  confirmIdentityUpdate,
  rejectUpdate,
  resendCodeUpdate,
  startUpdate,
  submitCodeUpdate,
  supportOverrideUpdate,
  workflowIdFor,
  type ChangeStatus,
} from '../../workflows/phone-change.defs';

const RUNS = 150;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ policy: {} });
});
afterAll(async () => h?.close());

const junk = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.constant(null),
  fc.object(),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.record(
    {
      step: fc.string(),
      code: fc.string(),
      token: fc.string(),
      fullName: fc.string(),
      passport: fc.string(),
      by: fc.constantFrom('owner', 'support', 'x'),
      credential: fc.string(),
      reason: fc.anything(),
      method: fc.string(),
      evidenceRef: fc.string(),
    },
    { requiredKeys: [] },
  ),
);
/** Workflow-task failures in a run's history: a caller's input must never cause one. */
const failedTasks = async (handle: WorkflowHandle) =>
  ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).map((e) => e.workflowTaskFailedEventAttributes?.failure?.message);
const snapshot = (s: ChangeStatus) => ({ state: s.state, steps: s.steps, identity: s.identity, support: s.support });

describe("fuzzing the workflow's messages", () => {
  it('hole 5 hole 14: every malformed update is refused with a typed error and changes nothing; signals of any name and payload are ignored', async () => {
    const account = await h.newAccount();
    await h.client.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
    await h.linkTokenSentTo(account.phone, 'identity_link');
    const handle = h.temporal.workflow.getHandle(workflowIdFor(account.accountId));
    const before = snapshot(await h.client.status(account.accountId));
    // (A cancel with any object and no reason is a valid cancel: its own property below.)
    const updates = [submitCodeUpdate, resendCodeUpdate, confirmIdentityUpdate, supportOverrideUpdate, rejectUpdate, startUpdate];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...updates), junk, async (update, arg) => {
        const err = await handle.executeUpdate(update as never, { args: [arg] as never }).then(
          () => undefined,
          (e: unknown) => toTypedError(e),
        );
        expect(err).toBeInstanceOf(PhoneChangeError);
      }),
      { numRuns: RUNS * updates.length },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.record({ reason: fc.oneof(fc.integer(), fc.object(), fc.string({ minLength: 501 })) })), async (arg) => {
        const err = await handle.executeUpdate(cancelUpdate, { args: [arg as never] }).then(
          () => undefined,
          (e: unknown) => toTypedError(e),
        );
        expect(err).toBeInstanceOf(PhoneChangeError);
      }),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(junk, async (arg) => {
        await handle.signal(fc.sample(fc.constantFrom('submitCodeSignal', 'supportOverride', 'cancel', 'x'), 1)[0]!, arg as never);
      }),
      { numRuns: RUNS },
    );
    expect(snapshot(await h.client.status(account.accountId))).toEqual(before);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(await failedTasks(handle)).toEqual([]);
  });

  it('SEC-7 issue 12: with zod shared and frozen across workflows and stacks six frames deep, raw starts of every workflow with null, huge, negative, NaN or misordered input fail no workflow task', async () => {
    const huge = 'x'.repeat(1_000_000);
    const inputs = [null, -1, Number.NaN, huge, [], { accountId: huge }, { accountId: -1, requestId: Number.NaN }, { requestId: 'R1', accountId: 'a' }, { numbers: [null, -1], cursor: Number.NaN }];
    const types = ['phoneChange', 'linkedSync', 'phoneRevert', 'testDelivery', 'passwordReset', 'supportRecovery', 'recyclingSweep'];
    for (const type of types) {
      for (const input of inputs) {
        const handle = await h.temporal.workflow.start(type, { workflowId: `fuzz-${type}-${randomUUID()}`, taskQueue: h.taskQueue, args: [input] });
        // The first task ran (completed or failed) before anything is asserted.
        await eventually(async () => ((await handle.fetchHistory()).events ?? []).some((e) => e.workflowTaskCompletedEventAttributes || e.workflowTaskFailedEventAttributes), `${type}'s first task`);
        expect({ type, failed: await failedTasks(handle) }).toEqual({ type, failed: [] });
        await handle.terminate('fuzz').catch(() => undefined); // most already ended, refused
      }
    }
  });

  it("PRE-2: the client's start refuses malformed input with a typed error and starts nothing", async () => {
    const account = await h.newAccount();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          accountId: fc.oneof(fc.constant(account.accountId), junk),
          newPhone: junk,
          auth: fc.oneof(fc.constantFrom('two_factor', 'password_only'), junk),
          requestId: fc.oneof(fc.constant(undefined), junk),
        }),
        async (req) => {
          const err = await h.client.start(req as never).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(PhoneChangeError);
        },
      ),
      { numRuns: RUNS * 4 },
    );
    const started = await h.temporal.workflow
      .getHandle(workflowIdFor(account.accountId))
      .describe()
      .then(
        () => true,
        () => false,
      );
    if (started) expect((await h.client.result(account.accountId)).state).toBe('refused'); // only a refused run, if a valid-looking one slipped through
  });
});
