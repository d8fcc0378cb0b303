/**
 * SIG-2 end to end against real Temporal, NATS, SMTP and the local operator (CAMARA Number
 * Recycling over HTTP): a recycled number is released at a change's start, by the scheduled sweep
 * and by the operator's feed; its former owner is told on e-mail and push and gets nothing on it
 * any more; its new owner can bind it. Forged feed messages and raw starts cause checks at most.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { CamaraClient } from '../../activities/adapters/camara/camara-client';
import type { Account, OperatorSignals } from '../../activities/ports';
import { STREAMS, SUBJECTS } from '../../activities/adapters/nats/resources';
import { readSubject } from '../../activities/adapters/nats/publishers';
import { startOperatorServer, type OperatorServer } from '../../temporal-config/operator-server';
import { startOperatorFeed, type FeedReply } from '../../workers/operator-feed';
import { ensureRecyclingSchedule } from '../../workers/recycling-schedule';
import { NumberTakenError } from '../../workflows/domain/errors';
import { OPERATOR_FEED_SUBJECT, RECYCLING_SCHEDULE_ID, sweepProgressQuery, type SweepProgress } from '../../workflows/recycling.defs';
import { eventually, refusal, startHarness, type Harness } from '../support/harness';

let h: Harness;
let op: OperatorServer;
let stopFeed: () => Promise<void>;
const creds = { clientId: 'portal', clientSecret: 'operator-secret-for-tests' };
const BOUND_ON = '2024-01-10T10:00:00.000Z';
const RECYCLED_ON = new Date('2025-03-01T10:00:00Z');
const SUBJECT_LINE = 'Номер телефона больше не привязан к учётной записи';

beforeAll(async () => {
  op = await startOperatorServer(creds);
  const signals: OperatorSignals = {
    api: new CamaraClient({ baseUrl: op.url, ...creds, timeoutMs: 1000, attempts: 2, backoffMs: 50 }),
    simSwapMaxAgeHours: 72,
    whenDown: 'hold',
    // Small batches and runs, so the sweep continues as new several times over the test registry.
    sweep: { batchSize: 4, pauseMs: 0, batchesPerRun: 1 },
  };
  h = await startHarness({ wrapDeps: (d) => ({ ...d, operatorSignals: signals }) });
  stopFeed = await startOperatorFeed({ nc: h.services.nc, client: h.temporal, taskQueue: h.taskQueue });
});
afterAll(async () => {
  await stopFeed?.();
  await h?.close();
  await op?.close();
});

const boundAccount = () => h.newAccount({ phoneBoundAt: BOUND_ON });

/** The former owner: unconfirmed, the number remembered as recycled, out of the index, told by mail, push, history and an event. */
async function expectReleasedAndTold(stale: Account): Promise<void> {
  const { registry } = h.services.deps;
  const record = (await registry.getAccount(stale.accountId))!.value;
  expect(record).toMatchObject({ phoneConfirmed: false, recycledPhone: stale.phone });
  expect(await registry.ownerOf(stale.phone)).not.toBe(stale.accountId);
  const [mail] = await h.smtp.waitFor((m) => m.to.includes(stale.email!) && m.subject === SUBJECT_LINE);
  expect(mail!.text).toContain('обратитесь в службу поддержки');
  expect(mail!.text).not.toContain(stale.phone);
  await eventually(async () => {
    const pushes = await readSubject<{ accountId: string; kind: string }>(jetstream(h.services.nc), STREAMS.outbox.name, SUBJECTS.push);
    return pushes.some((p) => p.data.accountId === stale.accountId && p.data.kind === 'number_recycled');
  }, 'the push notice');
  expect((await h.client.history(stale.accountId)).map((e) => e.kind)).toContain('number_recycled');
  await eventually(() => h.events.items.some((e) => e.accountId === stale.accountId && e.type === 'number_recycled'), 'the number_recycled event');
}

async function feed(body: unknown): Promise<FeedReply> {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  return (await h.services.nc.request(OPERATOR_FEED_SUBJECT, data, { timeout: 10_000 })).json<FeedReply>();
}

describe('recycled numbers (SIG-2)', () => {
  it('SIG-2 PRE-3: at a start, a number the operator recycled since its binding is released first and the change goes on; the former owner is told; the new owner binds it', async () => {
    const stale = await boundAccount();
    op.declareRecycled(stale.phone, RECYCLED_ON);
    const newOwner = await h.newAccount();
    await h.completeChange(newOwner, stale.phone);
    expect(await h.services.deps.registry.ownerOf(stale.phone)).toBe(newOwner.accountId);
    await expectReleasedAndTold(stale);
  });

  it('SIG-2 PRE-3: a number bound elsewhere and not recycled is "number taken", typed; nothing changes', async () => {
    const holder = await boundAccount();
    const other = await h.newAccount();
    const err = await refusal(h.client.start({ accountId: other.accountId, newPhone: holder.phone, auth: 'two_factor' }));
    expect(err).toBeInstanceOf(NumberTakenError);
    expect(op.recyclingAsked).toContain(holder.phone);
    expect((await h.services.deps.registry.getAccount(holder.accountId))!.value).toMatchObject({ phoneConfirmed: true });
    expect(await h.services.deps.registry.ownerOf(holder.phone)).toBe(holder.accountId);
  });

  it('SIG-2: the scheduled sweep (a Temporal Schedule) unbinds a recycled number, keeps the others, reports progress; nothing goes to that number for its former owner any more', async () => {
    const stale = await boundAccount();
    const kept = await boundAccount();
    op.declareRecycled(stale.phone, RECYCLED_ON);
    expect(await ensureRecyclingSchedule(h.temporal, h.taskQueue, '24h')).toBe('created');
    expect(await ensureRecyclingSchedule(h.temporal, h.taskQueue, '24h')).toBe('exists');
    const schedule = h.temporal.schedule.getHandle(RECYCLING_SCHEDULE_ID);
    await schedule.trigger();
    const workflowId = await eventually(async () => {
      const action = (await schedule.describe()).info.recentActions[0]?.action;
      return action?.type === 'startWorkflow' ? action.workflow.workflowId : undefined;
    }, 'the sweep started by the schedule');
    const handle = h.temporal.workflow.getHandle(workflowId);
    const progress = (await handle.result()) as SweepProgress;
    await schedule.delete();
    expect(progress).toMatchObject({ source: 'sweep', done: true });
    expect(progress.recycled).toBeGreaterThanOrEqual(1);
    expect(progress.checked).toBeGreaterThanOrEqual(4);
    expect(progress.runs).toBeGreaterThanOrEqual(2); // resumed by continue-as-new with its cursor and counts
    expect(await h.services.deps.registry.ownerOf(kept.phone)).toBe(kept.accountId);
    await expectReleasedAndTold(stale);

    // No codes or notices to the recycled number for its former owner: his next change gets nothing there.
    await h.client.start({ accountId: stale.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
    await h.smsSettled();
    expect(h.smsTo(stale.phone).filter((m) => m.accountId === stale.accountId && m.kind === 'code_old')).toEqual([]);
    await h.client.cancel(stale.accountId);
  }, 180_000);

  it('SIG-2: the operator feed unbinds a reassigned number the API confirms; a forged entry for a number the API does not confirm is only checked; progress is a query', async () => {
    const stale = await boundAccount();
    const forged = await boundAccount();
    op.declareRecycled(stale.phone, RECYCLED_ON);
    const reply = await feed({ numbers: [stale.phone, forged.phone, stale.phone], reassignedOn: '2025-03-01' });
    expect(reply).toMatchObject({ accepted: true, numbers: 2 });
    const handle = h.temporal.workflow.getHandle((reply as { workflowId: string }).workflowId);
    const progress = (await handle.result()) as SweepProgress;
    expect(progress).toMatchObject({ source: 'feed', checked: 2, recycled: 1, done: true });
    expect(await handle.query(sweepProgressQuery)).toMatchObject({ checked: 2 });
    await expectReleasedAndTold(stale);
    expect(op.recyclingAsked).toContain(forged.phone);
    expect(await h.services.deps.registry.ownerOf(forged.phone)).toBe(forged.accountId);
    expect((await h.services.deps.registry.getAccount(forged.accountId))!.value.recycledPhone).toBeUndefined();
    // The new owner can bind it.
    const newOwner = await h.newAccount();
    await h.completeChange(newOwner, stale.phone);
    expect(await h.services.deps.registry.ownerOf(stale.phone)).toBe(newOwner.accountId);
  });

  it('SIG-2 attacker: malformed, oversized or odd feed messages and raw sweep starts change nothing', async () => {
    const holder = await boundAccount();
    const asked = op.recyclingAsked.length;
    const bad: unknown[] = [
      'not json',
      [],
      { numbers: [] },
      { numbers: ['89161234567'] },
      { numbers: [holder.phone], release: true },
      { numbers: [holder.phone], reassignedOn: 'yesterday' },
      { numbers: Array.from({ length: 1001 }, (_, i) => `+7916${String(i).padStart(7, '0')}`) },
      { numbers: [{ $gt: '' }] },
      'x'.repeat(70_000),
    ];
    for (const b of bad) expect(await feed(b)).toMatchObject({ accepted: false });
    expect(op.recyclingAsked.length).toBe(asked);
    // A raw start with a field of its own is refused before any check.
    const refused = (await h.temporal.workflow.execute('recyclingSweep', {
      workflowId: `raw-${holder.accountId}`,
      taskQueue: h.taskQueue,
      args: [{ numbers: [holder.phone], source: 'feed', unbind: true } as never],
    })) as SweepProgress;
    expect(refused).toMatchObject({ checked: 0, done: true });
    expect(await h.services.deps.registry.ownerOf(holder.phone)).toBe(holder.accountId);
    expect((await h.services.deps.registry.getAccount(holder.accountId))!.value.phoneConfirmed).toBe(true);
  });
});
