/**
 * Workflow logic with STUB activities (no NATS, no SMTP) on the real Temporal dev server: the
 * transitions, what the workflow asks its activities to do, and the failures it maps. With
 * RECORD_FIXTURES=1 each scenario's history is written to tests/replay/fixtures for the replay suite.
 */
import { writeFileSync } from 'node:fs';
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
  startUpdate,
  statusQuery,
  submitCodeUpdate,
  workflowIdFor,
  type PhoneChangeInput,
  type PhoneChangeResult,
} from '../../workflows/phone-change.defs';
import type { Policy } from '../../workflows/domain/policy';
import { AccountNotVerifiedError } from '../../workflows/domain/errors';
import { eventually } from '../support/harness';

const OLD_HASH = 'a'.repeat(64);
const NEW_HASH = 'b'.repeat(64);
const WRONG_HASH = 'c'.repeat(64);

type Stub = (req: never) => Promise<unknown>;

function stubActivities(overrides: Partial<Record<keyof PhoneChangeActivities, Stub>> = {}) {
  const fn = (impl: Stub) => vi.fn<(req: never) => Promise<unknown>>(impl);
  return {
    loadAccount: fn(overrides.loadAccount ?? (async () => ({ oldPhone: '+79160000001', email: 'a@example.test', language: 'ru', revision: 1 }))),
    sendCode: fn(overrides.sendCode ?? (async (req: { step: 'old' | 'new' }) => ({ codeHash: req.step === 'old' ? OLD_HASH : NEW_HASH }))),
    notify: fn(overrides.notify ?? (async () => undefined)),
    bindPhone: fn(overrides.bindPhone ?? (async () => undefined)),
    publishEvent: fn(overrides.publishEvent ?? (async () => undefined)),
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
    if (process.env.RECORD_FIXTURES) {
      const accountId = (out as { accountId: string }).accountId;
      // The CLI's JSON export is the format historyFromJSON reads back.
      const json = execFileSync(toolPaths().temporal, ['workflow', 'show', '-w', workflowIdFor(accountId), '--address', inject('temporalAddress'), '-o', 'json']);
      writeFileSync(new URL(`../replay/fixtures/${name}.json`, import.meta.url), json);
    }
    return out;
  });
}

async function start(taskQueue: string, policy?: Partial<Policy>, accountId = `stub-${randomUUID().slice(0, 8)}`) {
  const input: PhoneChangeInput = { accountId, requestId: `REQ${randomUUID().slice(0, 8)}`, newPhone: '+79160000002', auth: 'two_factor', policy };
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

const kindsNotified = (stubs: ReturnType<typeof stubActivities>) => stubs.notify.mock.calls.map((c) => (c as unknown as [{ kind: string }])[0].kind).sort();

describe('phone-change workflow with stub activities', () => {
  it('DONE-1 (stub activities): both codes accepted → bound once, notices and events in order', async () => {
    const stubs = stubActivities();
    const { accountId, result } = await withWorker('completed', stubs, async (tq) => {
      const { accountId, handle } = await start(tq);
      expect((await handle.executeUpdate(submitCodeUpdate, { args: [{ step: 'old', codeHash: OLD_HASH }] })).outcome).toBe('accepted');
      await eventually(async () => (await handle.query(statusQuery)).state === 'awaiting_new_number', 'new step');
      expect((await handle.executeUpdate(submitCodeUpdate, { args: [{ step: 'new', codeHash: NEW_HASH }] })).outcome).toBe('accepted');
      return { accountId, result: (await handle.result()) as PhoneChangeResult };
    });
    expect(result.state).toBe('completed');
    expect(stubs.sendCode).toHaveBeenCalledTimes(2);
    expect(stubs.bindPhone).toHaveBeenCalledTimes(1);
    expect(stubs.bindPhone.mock.calls[0]).toEqual([expect.objectContaining({ accountId, oldPhone: '+79160000001', newPhone: '+79160000002' })]);
    expect(kindsNotified(stubs)).toEqual(['completed', 'completed_old', 'requested']);
    expect(stubs.publishEvent.mock.calls.map((c) => (c as unknown as [{ type: string }])[0].type)).toEqual(['requested', 'completed']);
  });

  it('PRE-1 (stub activities): a refusal from the account check answers the start with the typed error; nothing is sent', async () => {
    const stubs = stubActivities({
      loadAccount: async () => {
        throw ApplicationFailure.create({ type: 'AccountNotVerifiedError', message: 'not verified', details: [{ field: 'accountId' }], nonRetryable: true });
      },
    });
    const { e } = await withWorker('refused', stubs, async (tq) => {
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
    const { result } = await withWorker('failed-number-taken', stubs, async (tq) => {
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
    const { result } = await withWorker('failed-exhausted', stubs, async (tq) => {
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
    const { result } = await withWorker('expired', stubs, async (tq) => {
      const { accountId, handle } = await start(tq, { changeTtlMs: 1000 });
      return { accountId, result: (await handle.result()) as PhoneChangeResult };
    });
    expect(result.state).toBe('expired');
    expect(kindsNotified(stubs)).toEqual(['expired', 'requested']);
  });

  it('SEC-3 (stub activities): a notice that cannot be delivered does not stop the change', async () => {
    const stubs = stubActivities({
      notify: async () => {
        throw ApplicationFailure.create({ type: 'GatewayDown', message: 'down', nonRetryable: true });
      },
    });
    const state = await withWorker('notice-undelivered', stubs, async (tq) => {
      const { accountId, handle } = await start(tq);
      return { accountId, state: (await handle.query(statusQuery)).state };
    });
    expect(state.state).toBe('awaiting_old_number');
  });
});
