/**
 * Issue 12: the SDK's per-promise stack recording (the Web UI's "Stack Trace" tab) costs 15 % of
 * the worker's CPU per change, so a worker configured by default runs without it and says so when
 * asked; WORKER_WORKFLOW_STACK_TRACES=on brings it back, for the same waiting change, after a
 * restart. Real Temporal dev server, NATS and SMTP; the workers take their settings from loadConfig.
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { startHarness, refusal, PAYLOAD_KEYS, type Harness } from '../support/harness';
import { AesGcmCodec } from '../../activities/adapters/payload-codec';
import { loadConfig } from '../../workers/config';
import { createPhoneChangeWorker } from '../../workers/worker';
import { workflowIdFor } from '../../workflows/phone-change.defs';

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

/** Runs `body` with a worker configured from `env` (as workers/main.ts does), then stops it. */
async function withWorker(env: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const worker: Worker = await createPhoneChangeWorker({
    connection,
    namespace: 'default',
    taskQueue: h.taskQueue,
    deps: h.services.deps,
    codec: new AesGcmCodec(PAYLOAD_KEYS, { refuseUnreadable: true }),
    workflowBundle: { codePath: inject('workflowBundlePath') },
    config: loadConfig(env).worker,
  });
  const running = worker.run();
  try {
    await body();
  } finally {
    worker.shutdown();
    await running;
  }
}

describe('Web UI stack traces (issue 12, WORKER_WORKFLOW_STACK_TRACES)', () => {
  it('off by default: the stack trace query says they are not enabled; on: the same waiting change names its own code', async () => {
    const account = await h.newAccount();
    const stackTrace = () => h.temporal.workflow.getHandle(workflowIdFor(account.accountId)).query<string>('__stack_trace');
    let waiting = '';
    await withWorker({}, async () => {
      waiting = (await h.client.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' })).state;
      expect(waiting).toMatch(/^awaiting_/);
      const err = await refusal(stackTrace());
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/stack traces are not enabled on this worker/);
    });
    await withWorker({ WORKER_WORKFLOW_STACK_TRACES: 'on' }, async () => {
      expect(await stackTrace()).toMatch(/workflows\/phone-change\/\w+\.ts/);
      expect((await h.client.status(account.accountId)).state).toBe(waiting);
    });
  });
});
