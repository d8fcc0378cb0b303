/**
 * Issue 12: the SDK's per-promise stack recording (the Web UI's "Stack Trace" tab) costs 15 % of
 * the worker's CPU per change, so a worker configured by default runs without it and says so when
 * asked; WORKER_WORKFLOW_STACK_TRACES=on brings it back, for the same waiting change, after a
 * restart. Real Temporal dev server, NATS and SMTP; the workers take their settings from loadConfig.
 * (The Web UI's stack trace, when on, was asserted in happy-path.test.ts before issue 12 turned it off.)
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { startHarness, refusal, PAYLOAD_KEYS, type Harness } from '../support/harness';
import { AesGcmCodec } from '../../activities/adapters/payload-codec';
import { loadConfig } from '../../workers/config';
import { createPhoneChangeWorker } from '../../workers/worker';
import { workflowIdFor } from '../../workflows/phone-change.defs';
import { PhoneChangeClient } from '../../client/phone-change-client';

let h: Harness;
let connection: NativeConnection;
beforeAll(async () => {
  h = await startHarness({ startWorker: false });
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await connection?.close();
  await h?.close();
});

/** A worker on `taskQueue` configured from `env` (as workers/main.ts does). */
const workerFor = (env: Record<string, string>, taskQueue = h.taskQueue): Promise<Worker> =>
  createPhoneChangeWorker({
    connection,
    namespace: 'default',
    taskQueue,
    deps: h.services.deps,
    codec: new AesGcmCodec(PAYLOAD_KEYS, { refuseUnreadable: true }),
    workflowBundle: { codePath: inject('workflowBundlePath') },
    config: loadConfig(env).worker,
  });

/** Runs `body` with these workers running, then stops them. */
async function withWorkers(workers: Promise<Worker>[], body: () => Promise<void>): Promise<void> {
  const started = await Promise.all(workers);
  const running = started.map((w) => w.run());
  try {
    await body();
  } finally {
    for (const w of started) w.shutdown();
    await Promise.all(running);
  }
}

const stackTraceOf = (accountId: string) => h.temporal.workflow.getHandle(workflowIdFor(accountId)).query<string>('__stack_trace');
const notEnabled = /stack traces are not enabled on this worker/;

describe('Web UI stack traces (issue 12, WORKER_WORKFLOW_STACK_TRACES)', () => {
  it('off by default: the stack trace query says they are not enabled; on: the same waiting change names its own code, six frames deep still reaching it', async () => {
    const account = await h.newAccount();
    let waiting = '';
    await withWorkers([workerFor({})], async () => {
      waiting = (await h.client.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' })).state;
      expect(waiting).toMatch(/^awaiting_/);
      const err = await refusal(stackTraceOf(account.accountId));
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(notEnabled);
    });
    await withWorkers([workerFor({ WORKER_WORKFLOW_STACK_TRACES: 'on' })], async () => {
      expect(await stackTraceOf(account.accountId)).toMatch(/workflows\/phone-change\/\w+\.ts/);
      expect((await h.client.status(account.accountId)).state).toBe(waiting);
    });
  });

  it('two workers created at once in one process each get their own setting (creation is serialised; review)', async () => {
    const onQueue = `${h.taskQueue}-on`;
    const onClient = new PhoneChangeClient({ client: h.temporal, taskQueue: onQueue, history: h.services.deps.history });
    const [off, on] = [await h.newAccount(), await h.newAccount()];
    await withWorkers([workerFor({}), workerFor({ WORKER_WORKFLOW_STACK_TRACES: 'on' }, onQueue)], async () => {
      await h.client.start({ accountId: off.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
      await onClient.start({ accountId: on.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
      expect(((await refusal(stackTraceOf(off.accountId))) as Error).message).toMatch(notEnabled);
      expect(await stackTraceOf(on.accountId)).toMatch(/workflows\/phone-change\/\w+\.ts/);
    });
  });
});
