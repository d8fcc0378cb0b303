/**
 * Issue 12: the Temporal dev server the project starts keeps at most TEMPORAL_HISTORY_CACHE_SIZE
 * changes in memory (`history.hostLevelCacheMaxSize`; 128 000 for an hour by default, about 14 KB
 * per waiting change). A change pushed out of that cache is read back from the database when its
 * next code comes, and goes on as if nothing happened. A dev server of this file's own, at the
 * smallest bound, with real NATS and SMTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { inject } from 'vitest';
import { freePort, HISTORY_CACHE, startTemporal, toolPaths, type RunningServer } from '../../temporal-config/stack';
import { startHarness, type Harness } from '../support/harness';
import { workflowIdFor } from '../../workflows/phone-change.defs';

let server: RunningServer;
let metricsPort: number;
let h: Harness;
beforeAll(async () => {
  metricsPort = await freePort();
  server = await startTemporal({ bin: toolPaths().temporal, logFile: join(inject('workDir'), 'server-cache-temporal.log'), historyCacheSize: HISTORY_CACHE.min, metricsPort });
  h = await startHarness({ temporalAddress: server.address, linkedAcks: false });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await server?.stop();
});

/** The server's mutable-state cache: how many changes it holds now. */
async function cachedChanges(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const m = /^cache_usage\{cache_type="mutablestate",service_name="history"\} (\d+)$/m.exec(text);
  if (!m) throw new Error('no cache_usage gauge for the mutable-state cache on the server');
  return Number(m[1]);
}

describe("the Temporal server's cache of changes is bounded (issue 12, TEMPORAL_HISTORY_CACHE_SIZE)", () => {
  it('holds at most the bound while more changes wait; a change pushed out of it takes its codes and completes (DONE-1), also under a flood of signals to more workflows than the cache holds (SEC-7)', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    const started = await h.client.start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
    expect(started.state).toBe('awaiting_old_number');
    const oldCode = await h.codeSentTo(account.phone);

    // More workflows than the bound, started after the change: it is the least recently used.
    const others = HISTORY_CACHE.min + 30;
    for (let i = 0; i < others; i++) {
      await h.temporal.workflow.start('nobodyRunsThis', { taskQueue: `${h.taskQueue}-idle`, workflowId: `${h.taskQueue}-idle-${i}` });
    }
    expect(await cachedChanges()).toBeLessThanOrEqual(HISTORY_CACHE.min);

    // Attack: anyone who can send a Temporal signal sends one to every one of them at once, and a
    // made-up one to the change, while the citizen submits the code: more workflows in use at once
    // than the cache holds. The server refuses what does not fit (ResourceExhausted), the client
    // retries it; nothing is lost and no task of the change fails.
    const flood = Promise.all([
      ...Array.from({ length: others }, (_, i) => h.temporal.workflow.getHandle(`${h.taskQueue}-idle-${i}`).signal('madeUp', 'x'.repeat(1000))),
      h.temporal.workflow.getHandle(workflowIdFor(account.accountId)).signal('madeUp', null),
    ]);
    const oldVerdict = await h.client.submitCode(account.accountId, 'old', oldCode);
    await flood;
    expect(oldVerdict).toMatchObject({ outcome: 'accepted', state: 'awaiting_new_number' });
    const newVerdict = await h.client.submitCode(account.accountId, 'new', await h.codeSentTo(newPhone));
    expect(newVerdict).toMatchObject({ outcome: 'accepted', state: 'completed' });
    expect((await h.services.deps.registry.getAccount(account.accountId))?.value.phone).toBe(newPhone);
    const history = await h.temporal.workflow.getHandle(workflowIdFor(account.accountId)).fetchHistory();
    expect(history.events?.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
  }, 60_000);
});
