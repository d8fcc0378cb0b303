/**
 * DONE-1, crash (review finding): the v7 binding is a local activity. A worker SIGKILLed right
 * after it wrote the registry, before its workflow task completed, leaves nothing of the binding
 * in history; the citizen, whose final code hangs, presses cancel. The task runs again (after its
 * 10 s timeout) with the code and the cancel together, and the cancel needs no activity: before,
 * the change ended "cancelled" with the new number bound and both numbers claimed. Now the change
 * asks the registry before ending another way, and completes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness';
import { kill, spawnWorker } from '../support/worker-process';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ startWorker: false });
});
afterAll(async () => h?.close());

const settled = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error: String(error) }),
  );

it('DONE-1 (crash after the local binding, then a cancel): the change completes once, the number is bound once, the old number is freed; no "cancelled"', async () => {
  const account = await h.newAccount();
  const newPhone = h.freshPhone();
  const crashing = spawnWorker(h, 'bind-crash-1', { CRASH_AFTER_BIND_TO: newPhone }, 'tests/support/crash-after-bind-worker.ts');
  const died = new Promise<void>((resolve) => crashing.once('exit', () => resolve()));
  let second: ReturnType<typeof spawnWorker> | undefined;
  try {
    await h.client.start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
    expect((await h.client.submitCode(account.accountId, 'old', await h.codeSentTo(account.phone))).outcome).toBe('accepted');
    const submitted = settled(h.client.submitCode(account.accountId, 'new', await h.codeSentTo(newPhone)));
    await died;
    expect((await h.services.deps.registry.getAccount(account.accountId))?.value.phone).toBe(newPhone); // the binding landed
    // Sent while the task that bound is still timing out: the task run again takes both.
    const cancelled = settled(h.client.cancel(account.accountId, 'taking too long'));
    second = spawnWorker(h, 'bind-crash-2');
    const result = await h.client.result(account.accountId);
    expect(result.state).toBe('completed');
    expect(await submitted).toMatchObject({ value: { outcome: 'accepted', state: 'completed' } });
    expect(await cancelled).toMatchObject({ value: { state: 'completed' } });
    const registry = h.services.deps.registry;
    const after = (await registry.getAccount(account.accountId))!.value;
    expect({ phone: after.phone, previousPhone: after.previousPhone, closed: after.closedRequestId }).toEqual({ phone: newPhone, previousPhone: account.phone, closed: undefined });
    expect([await registry.ownerOf(newPhone), await registry.ownerOf(account.phone)]).toEqual([account.accountId, undefined]);
    const kinds = (await h.client.history(account.accountId)).map((e) => e.kind);
    expect(kinds).toContain('completed');
    expect(kinds).not.toContain('cancelled');
  } finally {
    await kill(crashing, 'SIGKILL');
    if (second) await kill(second, 'SIGTERM');
  }
}, 120_000);
