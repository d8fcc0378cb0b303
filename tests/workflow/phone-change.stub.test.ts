/**
 * Workflow logic with STUB activities (no NATS, no SMTP) on the real Temporal dev server: the
 * transitions, what the workflow asks its activities to do, and the failures it maps. With
 * RECORD_FIXTURES=1 each scenario's history is written to tests/replay/fixtures for the replay suite.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { execFileSync } from 'node:child_process';
import { toolPaths } from '../../temporal-config/stack';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { NativeConnection, Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import type { PhoneChangeActivities } from '../../activities';
import { toTypedError } from '../../client/phone-change-client';
import {
  cancelUpdate,
  confirmIdentityUpdate,
  rejectUpdate,
  reportOldNumberLostUpdate,
  supportOverrideUpdate,
  startUpdate,
  statusQuery,
  submitCodeUpdate,
  workflowIdFor,
  type PhoneChangeInput,
  type PhoneChangeResult,
} from '../../workflows/phone-change.defs';
import type { Policy } from '../../workflows/domain/policy';
import { AccountNotVerifiedError, InvalidInputError, InvalidTokenError, OperatorCredentialError, TwoFactorRequiredError } from '../../workflows/domain/errors';
import { eventually } from '../support/harness';
import { linkedSyncWorkflowId } from '../../workflows/after-change.defs';

const OLD_HASH = 'a'.repeat(64);
const NEW_HASH = 'b'.repeat(64);
const WRONG_HASH = 'c'.repeat(64);
const IDENTITY_TOKEN_HASH = 'd'.repeat(64);
const IDENTITY_HASH = 'e'.repeat(64);
const REJECT_TOKEN_HASH = 'f'.repeat(64);

type Stub = (req: never) => Promise<unknown>;

function stubActivities(overrides: Partial<Record<keyof PhoneChangeActivities, Stub>> = {}) {
  const fn = (impl: Stub) => vi.fn<(req: never) => Promise<unknown>>(impl);
  return {
    loadAccount: fn(overrides.loadAccount ?? (async () => ({ oldPhone: '+79160000001', email: 'a@example.test', language: 'ru', revision: 1, identityHash: IDENTITY_HASH }))),
    sendCode: fn(overrides.sendCode ?? (async (req: { step: 'old' | 'new' }) => ({ codeHash: req.step === 'old' ? OLD_HASH : NEW_HASH }))),
    sendIdentityLink: fn(overrides.sendIdentityLink ?? (async () => ({ tokenHash: IDENTITY_TOKEN_HASH }))),
    notify: fn(overrides.notify ?? (async () => ({ rejectTokenHash: REJECT_TOKEN_HASH }))),
    bindPhone: fn(overrides.bindPhone ?? (async () => undefined)),
    publishEvent: fn(overrides.publishEvent ?? (async () => undefined)),
    announceToLinkedServices: fn(overrides.announceToLinkedServices ?? (async () => ['bank_cards'])),
    recordHistory: fn(overrides.recordHistory ?? (async () => undefined)),
    revertPhone: fn(overrides.revertPhone ?? (async () => ({ restoredPhone: '+79160000001', revertedFrom: '+79160000002', language: 'ru' }))),
    loadContacts: fn(overrides.loadContacts ?? (async () => ({ phone: '+79160000001', language: 'ru' }))),
    verifyOperator: fn(overrides.verifyOperator ?? (async (req: { credential: string }) => {
      if (req.credential !== 'signed-by-the-idp') throw ApplicationFailure.create({ type: 'OperatorCredentialError', message: 'forged', details: [{ field: 'credential', reason: 'forged' }], nonRetryable: true });
      return { id: 'op-17', name: 'Петрова', roles: ['support:override'] };
    })),
  };
}

let connection: Connection;
let client: Client;
let native: NativeConnection;
beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  native = await NativeConnection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await native?.close();
  await connection?.close();
});

/** Runs `scenario` against a worker with the given stubs; records the history when asked to. */
async function withWorker<T>(name: string, stubs: ReturnType<typeof stubActivities>, scenario: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `stub-${randomUUID()}`;
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    activities: stubs,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  return worker.runUntil(async () => {
    const out = await scenario(taskQueue);
    // Fixtures are records of released behaviour: an existing one is never overwritten.
    const fixture = new URL(`../replay/fixtures/${name}.json`, import.meta.url);
    if (process.env.RECORD_FIXTURES && !existsSync(fixture)) {
      const accountId = (out as { accountId: string }).accountId;
      // The CLI's JSON export is the format historyFromJSON reads back.
      const json = execFileSync(toolPaths().temporal, ['workflow', 'show', '-w', workflowIdFor(accountId), '--address', inject('temporalAddress'), '-o', 'json']);
      writeFileSync(fixture, json);
    }
    return out;
  });
}

/** Starts a change; the identity check is off unless the policy turns it on. */
async function start(taskQueue: string, policy?: Partial<Policy>, accountId = `stub-${randomUUID().slice(0, 8)}`) {
  const input: PhoneChangeInput = { accountId, requestId: `REQ${randomUUID().slice(0, 8)}`, newPhone: '+79160000002', auth: 'two_factor', policy: { identityCheck: false, ...policy } };
  const startWorkflowOperation = new WithStartWorkflowOperation('phoneChange', {
    workflowId: workflowIdFor(accountId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const ref = await client.workflow.executeUpdateWithStart(startUpdate, { args: [{ requestId: input.requestId }], startWorkflowOperation }).catch((e: unknown) => {
    throw toTypedError(e);
  });
  return { accountId, ref, handle: client.workflow.getHandle(workflowIdFor(accountId)) };
}

const OVERRIDE = { credential: 'signed-by-the-idp', method: 'video_verification' as const, evidenceRef: 'video-2026-0042', reason: 'lost SIM' };

async function proveBoth(handle: ReturnType<Client['workflow']['getHandle']>): Promise<void> {
  expect((await handle.executeUpdate(submitCodeUpdate, { args: [{ step: 'old', codeHash: OLD_HASH }] })).outcome).toBe('accepted');
  await eventually(async () => (await handle.query(statusQuery)).state === 'awaiting_new_number', 'new step');
  expect((await handle.executeUpdate(submitCodeUpdate, { args: [{ step: 'new', codeHash: NEW_HASH }] })).outcome).toBe('accepted');
}

/** Domain events the workflow asked for, whether sent alone or with a notice. */
const eventsPublished = (stubs: ReturnType<typeof stubActivities>) => [
  ...stubs.notify.mock.calls.map((c) => (c[0] as { event?: { type: string } }).event?.type).filter((t): t is string => t !== undefined),
  ...stubs.publishEvent.mock.calls.map((c) => (c[0] as { type: string }).type),
];

const kindsNotified = (stubs: ReturnType<typeof stubActivities>) => stubs.notify.mock.calls.map((c) => (c as unknown as [{ kind: string }])[0].kind).sort();

describe('phone-change workflow with stub activities', () => {
  it('DONE-1 (stub activities): both codes accepted → bound once, notices and events in order', async () => {
    const stubs = stubActivities();
    const { accountId, result, syncType } = await withWorker('v5-completed', stubs, async (tq) => {
      const { accountId, handle, ref } = await start(tq);
      await proveBoth(handle);
      const result = (await handle.result()) as PhoneChangeResult;
      // AFTER-1: the linked-service sync runs as a workflow of its own, outliving the change.
      const sync = client.workflow.getHandle(linkedSyncWorkflowId(accountId, ref.requestId));
      const syncType = (await sync.describe()).type;
      await sync.terminate('test over');
      return { accountId, result, syncType };
    });
    expect(result.state).toBe('completed');
    expect(stubs.sendCode).toHaveBeenCalledTimes(2);
    expect(stubs.bindPhone).toHaveBeenCalledTimes(1);
    expect(stubs.bindPhone.mock.calls[0]).toEqual([expect.objectContaining({ accountId, oldPhone: '+79160000001', newPhone: '+79160000002' })]);
    expect(kindsNotified(stubs)).toEqual(['completed', 'completed_old', 'requested']);
    expect(eventsPublished(stubs)).toEqual(['requested', 'completed']);
    expect(stubs.publishEvent).not.toHaveBeenCalled(); // events travel with their notices (one activity, not two)
    expect(syncType).toBe('linkedSync');
  });

  it('PRE-1 (stub activities): a refusal from the account check answers the start with the typed error; nothing is sent', async () => {
    const stubs = stubActivities({
      loadAccount: async () => {
        throw ApplicationFailure.create({ type: 'AccountNotVerifiedError', message: 'not verified', details: [{ field: 'accountId' }], nonRetryable: true });
      },
    });
    const { e } = await withWorker('v5-refused', stubs, async (tq) => {
      const accountId = `stub-${randomUUID().slice(0, 8)}`;
      return { accountId, e: await start(tq, undefined, accountId).catch((x: unknown) => x) };
    });
    expect(e).toBeInstanceOf(AccountNotVerifiedError);
    expect(stubs.sendCode).not.toHaveBeenCalled();
    expect(stubs.notify).not.toHaveBeenCalled();
  });

  it('PRE-3 (stub activities): the number taken at commit time fails the change and sends the failure notice', async () => {
    const stubs = stubActivities({
      bindPhone: async () => {
        throw ApplicationFailure.create({ type: 'NumberTakenError', message: 'taken meanwhile', details: [{ field: 'newPhone' }], nonRetryable: true });
      },
    });
    const { result } = await withWorker('v5-failed-number-taken', stubs, async (tq) => {
      const { accountId, handle } = await start(tq);
      await handle.executeUpdate(submitCodeUpdate, { args: [{ step: 'old', codeHash: OLD_HASH }] });
      await eventually(async () => (await handle.query(statusQuery)).state === 'awaiting_new_number', 'new step');
      await handle.executeUpdate(submitCodeUpdate, { args: [{ step: 'new', codeHash: NEW_HASH }] });
      return { accountId, result: (await handle.result()) as PhoneChangeResult };
    });
    expect(result).toMatchObject({ state: 'failed', failure: { type: 'NumberTakenError', details: { field: 'newPhone' } } });
    expect(kindsNotified(stubs)).toEqual(['failed', 'requested']);
  });

  it('OTP-4 (stub activities): wrong entries up to exhaustion fail the change', async () => {
    const stubs = stubActivities();
    const { result } = await withWorker('v5-failed-exhausted', stubs, async (tq) => {
      const { accountId, handle } = await start(tq, { maxCodesPerStep: 1, maxWrongPerCode: 2 });
      await handle.executeUpdate(submitCodeUpdate, { args: [{ step: 'old', codeHash: WRONG_HASH }] });
      await handle.executeUpdate(submitCodeUpdate, { args: [{ step: 'old', codeHash: WRONG_HASH }] });
      return { accountId, result: (await handle.result()) as PhoneChangeResult };
    });
    expect(result).toMatchObject({ state: 'failed', failure: { type: 'AttemptsExhausted' } });
    expect(kindsNotified(stubs)).toEqual(['failed', 'requested', 'wrong_code', 'wrong_code']);
  });

  it('OTP-5 (stub activities): the deadline expires the change', async () => {
    const stubs = stubActivities();
    const { result } = await withWorker('v5-expired', stubs, async (tq) => {
      const { accountId, handle } = await start(tq, { changeTtlMs: 1000 });
      return { accountId, result: (await handle.result()) as PhoneChangeResult };
    });
    expect(result.state).toBe('expired');
    expect(kindsNotified(stubs)).toEqual(['expired', 'requested']);
  });

  it('SEC-2 (stub activities): identity confirmed through the link, then both codes → completed', async () => {
    const stubs = stubActivities();
    const { result } = await withWorker('v5-completed-identity', stubs, async (tq) => {
      const { accountId, handle, ref } = await start(tq, { identityCheck: true });
      expect(ref.state).toBe('awaiting_identity');
      const forged = await handle.executeUpdate(confirmIdentityUpdate, { args: [{ tokenHash: WRONG_HASH, identityHash: IDENTITY_HASH }] }).catch((e: unknown) => toTypedError(e));
      expect(forged).toBeInstanceOf(InvalidTokenError);
      const mismatch = await handle.executeUpdate(confirmIdentityUpdate, { args: [{ tokenHash: IDENTITY_TOKEN_HASH, identityHash: WRONG_HASH }] });
      expect(mismatch).toMatchObject({ outcome: 'mismatch', attemptsLeft: 2 });
      expect((await handle.executeUpdate(confirmIdentityUpdate, { args: [{ tokenHash: IDENTITY_TOKEN_HASH, identityHash: IDENTITY_HASH }] })).outcome).toBe('confirmed');
      await proveBoth(handle);
      return { accountId, result: (await handle.result()) as PhoneChangeResult };
    });
    expect(result.state).toBe('completed');
    expect(stubs.sendIdentityLink).toHaveBeenCalledTimes(1);
    expect(kindsNotified(stubs)).toEqual(['completed', 'completed_old', 'identity_mismatch', 'requested']);
  });

  it('SEC-2 (stub activities): identity mismatches exhausted fail the change', async () => {
    const stubs = stubActivities();
    const { result } = await withWorker('v5-failed-identity', stubs, async (tq) => {
      const { accountId, handle } = await start(tq, { identityCheck: true, maxWrongPerCode: 2 });
      for (let i = 0; i < 2; i++) await handle.executeUpdate(confirmIdentityUpdate, { args: [{ tokenHash: IDENTITY_TOKEN_HASH, identityHash: WRONG_HASH }] });
      return { accountId, result: (await handle.result()) as PhoneChangeResult };
    });
    expect(result).toMatchObject({ state: 'failed', failure: { type: 'IdentityCheckFailed' } });
  });

  it('LOST-1 LOST-2 LOST-3 (stub activities): lost old number → support override → new code → completed', async () => {
    const stubs = stubActivities();
    const { result, status } = await withWorker('v5-completed-lost-override', stubs, async (tq) => {
      const { accountId, handle } = await start(tq);
      expect((await handle.executeUpdate(reportOldNumberLostUpdate)).state).toBe('awaiting_support');
      const missing = await handle.executeUpdate(supportOverrideUpdate, { args: [{ ...OVERRIDE, evidenceRef: '' }] }).catch((e: unknown) => toTypedError(e));
      expect(missing).toBeInstanceOf(InvalidInputError);
      expect((missing as InvalidInputError).field).toBe('evidenceRef');
      const forged = await handle.executeUpdate(supportOverrideUpdate, { args: [{ ...OVERRIDE, credential: 'forged' }] }).catch((e: unknown) => toTypedError(e));
      expect(forged).toBeInstanceOf(OperatorCredentialError);
      expect((await handle.executeUpdate(supportOverrideUpdate, { args: [OVERRIDE] })).state).toBe('awaiting_new_number');
      await handle.executeUpdate(submitCodeUpdate, { args: [{ step: 'new', codeHash: NEW_HASH }] });
      const result = (await handle.result()) as PhoneChangeResult;
      return { accountId, result, status: await handle.query(statusQuery) };
    });
    expect(result.state).toBe('completed');
    expect(status.support).toMatchObject({ reason: 'old_number_lost', override: { operator: { id: 'op-17', name: 'Петрова' }, method: 'video_verification', evidenceRef: 'video-2026-0042' } });
    expect(stubs.sendCode.mock.calls.map((c) => (c[0] as { step: string }).step)).toEqual(['old', 'new']);
    const overrideNotice = stubs.notify.mock.calls.map((c) => c[0] as { kind: string; actor?: string; details?: object }).find((n) => n.kind === 'support_override');
    expect(overrideNotice).toMatchObject({ actor: 'op-17 (Петрова)', details: { method: 'video_verification', evidenceRef: 'video-2026-0042', reason: 'lost SIM' } });
  });

  it('FREQ-1 FREQ-2 (stub activities): a change within 24 h of the last is held; support override lets it finish', async () => {
    const stubs = stubActivities({ loadAccount: async () => ({ oldPhone: '+79160000001', email: 'a@example.test', language: 'ru', revision: 3, lastPhoneChangeAt: new Date().toISOString() }) });
    const { result } = await withWorker('v5-completed-frequent-override', stubs, async (tq) => {
      const { accountId, handle, ref } = await start(tq, { identityCheck: true });
      expect(ref.state).toBe('awaiting_support');
      expect((await handle.query(statusQuery)).frequentChange).toBe(true);
      await handle.executeUpdate(supportOverrideUpdate, { args: [OVERRIDE] });
      await handle.executeUpdate(submitCodeUpdate, { args: [{ step: 'new', codeHash: NEW_HASH }] });
      return { accountId, result: (await handle.result()) as PhoneChangeResult };
    });
    expect(result.state).toBe('completed');
    expect(stubs.sendIdentityLink).not.toHaveBeenCalled();
    expect(kindsNotified(stubs)).toEqual(['completed', 'completed_old', 'frequent_change', 'requested', 'support_override']);
  });

  it('FREQ-2 (stub activities): a held change expires without an override', async () => {
    const stubs = stubActivities({ loadAccount: async () => ({ oldPhone: '+79160000001', language: 'en', revision: 3, lastPhoneChangeAt: new Date().toISOString() }) });
    const { result } = await withWorker('v5-expired-frequent', stubs, async (tq) => {
      const { accountId, handle } = await start(tq, { changeTtlMs: 1000 });
      return { accountId, result: (await handle.result()) as PhoneChangeResult };
    });
    expect(result.state).toBe('expired');
    expect(kindsNotified(stubs)).toEqual(['expired', 'frequent_change', 'requested']);
  });

  it('SEC-3 (stub activities): the "not me" token rejects the change at once; a forged one is refused', async () => {
    const stubs = stubActivities();
    const { result } = await withWorker('v5-rejected', stubs, async (tq) => {
      const { accountId, handle } = await start(tq);
      const forged = await handle.executeUpdate(rejectUpdate, { args: [{ by: 'owner', tokenHash: WRONG_HASH }] }).catch((e: unknown) => toTypedError(e));
      expect(forged).toBeInstanceOf(InvalidTokenError);
      expect((await handle.executeUpdate(rejectUpdate, { args: [{ by: 'owner', tokenHash: REJECT_TOKEN_HASH }] })).state).toBe('rejected');
      return { accountId, result: (await handle.result()) as PhoneChangeResult };
    });
    expect(result.state).toBe('rejected');
    expect(stubs.bindPhone).not.toHaveBeenCalled();
    expect(kindsNotified(stubs)).toEqual(['rejected', 'requested']);
  });

  it('cancel (stub activities): the citizen cancels an open change', async () => {
    const stubs = stubActivities();
    const { result } = await withWorker('v5-cancelled', stubs, async (tq) => {
      const { accountId, handle } = await start(tq);
      expect((await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }] })).state).toBe('cancelled');
      return { accountId, result: (await handle.result()) as PhoneChangeResult };
    });
    expect(result.state).toBe('cancelled');
    expect(kindsNotified(stubs)).toEqual(['cancelled', 'requested']);
  });

  it('PRE-5 SEC-1 (stub activities): a self-service start without two factors is refused before any activity', async () => {
    const stubs = stubActivities();
    const { e } = await withWorker('v5-refused-two-factor', stubs, async (tq) => {
      const accountId = `stub-${randomUUID().slice(0, 8)}`;
      const workflowId = workflowIdFor(accountId);
      const startWorkflowOperation = new WithStartWorkflowOperation('phoneChange', {
        workflowId,
        taskQueue: tq,
        args: [{ accountId, requestId: 'REQpassword', newPhone: '+79160000002', auth: 'password_only' }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      const e = await client.workflow.executeUpdateWithStart(startUpdate, { args: [{ requestId: 'REQpassword' }], startWorkflowOperation }).catch((x: unknown) => toTypedError(x));
      return { accountId, e };
    });
    expect(e).toBeInstanceOf(TwoFactorRequiredError);
    expect(stubs.loadAccount).not.toHaveBeenCalled();
  });

  it('SEC-3 (stub activities): a notice that cannot be delivered does not stop the change', async () => {
    const stubs = stubActivities({
      notify: async () => {
        throw ApplicationFailure.create({ type: 'GatewayDown', message: 'down', nonRetryable: true });
      },
    });
    const state = await withWorker('v5-notice-undelivered', stubs, async (tq) => {
      const { accountId, handle } = await start(tq);
      return { accountId, state: (await handle.query(statusQuery)).state };
    });
    expect(state.state).toBe('awaiting_old_number');
  });
});
