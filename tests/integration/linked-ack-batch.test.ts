/**
 * AFTER-1, issue 12: linked services' acknowledgements of one sync reach it as one `linkedAck`
 * signal (the bridge gathers them for LINKED_ACK_BATCH_MS), and SEC-7: whatever a caller sends as
 * that signal fails no workflow task. A NATS server of this file's own, so only the bridges these
 * tests start take its acks (every test file's harness shares the durable consumer otherwise).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { WorkflowHandle } from '@temporalio/client';
import { eventually, startHarness, LINKED_SERVICES, type Harness } from '../support/harness';
import { startOwnNats, type OwnNats } from '../support/own-nats';
import { startBridges } from '../../workers/bridges';
import { STREAMS, SUBJECTS } from '../../activities/adapters/nats/resources';
import { linkedSyncWorkflowId } from '../../workflows/after-change.defs';

let nats: OwnNats;
let h: Harness;
beforeAll(async () => {
  nats = await startOwnNats('linked-ack-batch');
  h = await startHarness({ natsUrl: nats.address, linkedAcks: false });
});
afterAll(async () => {
  await h?.close();
  await nats?.stop();
});

/** The linked-ack bridge alone, with its batch window; stopped by the caller. */
const ackBridge = (linkedAckBatchMs: number, warnings: string[] = []) =>
  startBridges({
    nc: h.services.nc,
    client: h.temporal,
    deps: h.services.deps,
    logger: { warn: (_: unknown, msg: string) => void warnings.push(msg), info: () => undefined } as never,
    run: { linkedAcks: true, deliveryReports: false },
    linkedAckBatchMs,
  });

/** A completed change whose sync has told every service (none acknowledged yet): its handle. */
async function syncWaitingForAcks(): Promise<{ accountId: string; requestId: string; sync: WorkflowHandle }> {
  const account = await h.newAccount();
  const { requestId } = await h.completeChange(account, h.freshPhone());
  await eventually(async () => (await h.client.linkedStatus(account.accountId).catch(() => undefined))?.services.length === LINKED_SERVICES.length, 'every service told');
  return { accountId: account.accountId, requestId, sync: h.temporal.workflow.getHandle(linkedSyncWorkflowId(account.accountId, requestId)) };
}

/** Publishes the acks of `services` for the sync at once, as services answering together would. */
async function publishAcks(accountId: string, requestId: string, services: string[]): Promise<void> {
  const js = jetstream(h.services.nc);
  await Promise.all(services.map((s) => js.publish(SUBJECTS.linkedAck(s), JSON.stringify({ accountId, requestId }))));
}

async function historyOf(sync: WorkflowHandle) {
  const events = (await sync.fetchHistory()).events ?? [];
  return {
    ackSignals: events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'linkedAck').length,
    taskFailures: events.filter((e) => e.workflowTaskFailedEventAttributes).length,
  };
}

const synced = (accountId: string) =>
  eventually(async () => {
    const st = await h.client.linkedStatus(accountId);
    return st.state === 'synced' && st;
  }, 'the sync synced');

describe('linked-service acknowledgements as one signal per sync (AFTER-1, issue 12; SEC-7)', () => {
  it('AFTER-1: the five acks published together reach the sync as fewer signals than acks; the sync is synced', async () => {
    const stop = await ackBridge(100);
    try {
      const { accountId, requestId, sync } = await syncWaitingForAcks();
      await publishAcks(accountId, requestId, LINKED_SERVICES);
      const st = await synced(accountId);
      expect(st.pending).toEqual([]);
      expect(st.services.every((s) => s.acknowledgedAt)).toBe(true);
      await sync.result();
      const { ackSignals, taskFailures } = await historyOf(sync);
      expect(ackSignals).toBeGreaterThanOrEqual(1);
      expect(ackSignals).toBeLessThan(LINKED_SERVICES.length);
      expect(taskFailures).toBe(0);
    } finally {
      await stop();
    }
  });

  it('AFTER-1: with the batch window 0 every ack is a signal of its own, as before (LINKED_ACK_BATCH_MS=0)', async () => {
    const stop = await ackBridge(0);
    try {
      const { accountId, requestId, sync } = await syncWaitingForAcks();
      await publishAcks(accountId, requestId, LINKED_SERVICES);
      await synced(accountId);
      await sync.result();
      expect(await historyOf(sync)).toEqual({ ackSignals: LINKED_SERVICES.length, taskFailures: 0 });
    } finally {
      await stop();
    }
  });

  it('AFTER-1: an ack published twice, in one batch or in two, counts once', async () => {
    const stop = await ackBridge(100);
    try {
      const { accountId, requestId, sync } = await syncWaitingForAcks();
      const allButLast = LINKED_SERVICES.slice(0, -1);
      await publishAcks(accountId, requestId, [...allButLast, 'bank_cards']);
      const first = await eventually(async () => {
        const st = await h.client.linkedStatus(accountId);
        return st.pending.length === 1 && st;
      }, 'all but one acknowledged');
      expect(first.pending).toEqual([LINKED_SERVICES.at(-1)]);
      expect(first.services.map((s) => s.name).sort()).toEqual([...LINKED_SERVICES].sort());
      const signalsBefore = (await historyOf(sync)).ackSignals;
      await publishAcks(accountId, requestId, ['bank_cards']);
      await eventually(async () => (await historyOf(sync)).ackSignals > signalsBefore, 'the repeated ack signalled');
      const again = await h.client.linkedStatus(accountId);
      expect(again.services).toEqual(first.services);
      expect(again.pending).toEqual(first.pending);
      await publishAcks(accountId, requestId, [LINKED_SERVICES.at(-1)!]);
      await synced(accountId);
      expect((await historyOf(sync)).taskFailures).toBe(0);
    } finally {
      await stop();
    }
  });

  it('SEC-7: malformed linkedAck signals sent straight with the Temporal client acknowledge nothing and fail no workflow task', async () => {
    const { accountId, sync } = await syncWaitingForAcks();
    const before = await h.client.linkedStatus(accountId);
    expect([...before.pending].sort()).toEqual([...LINKED_SERVICES].sort());
    const malformed: unknown[] = [
      { services: 'bank_cards' },
      { services: Array.from({ length: 17 }, () => 'bank_cards') },
      { services: ['bank_cards', 'x'.repeat(65)] },
      { services: [1, 2, 3] },
      { services: ['bank_cards', null] },
      { services: null },
      null,
      'bank_cards',
      42,
      { service: 7 },
      { service: 'x'.repeat(65) },
    ];
    for (const payload of malformed) await sync.signal('linkedAck', payload);
    await sync.signal('linkedAck');
    await eventually(async () => (await historyOf(sync)).ackSignals === malformed.length + 1, 'every forged signal in the history');
    // A query answers after the signals before it were handled.
    expect(await h.client.linkedStatus(accountId)).toEqual(before);
    expect((await historyOf(sync)).taskFailures).toBe(0);
    // The sync still works, in both forms: the old one (in-flight signals of an older bridge) and the new one.
    await sync.signal('linkedAck', { service: 'bank_cards' });
    await sync.signal('linkedAck', { services: LINKED_SERVICES.filter((s) => s !== 'bank_cards') });
    await synced(accountId);
    await sync.result();
    expect((await historyOf(sync)).taskFailures).toBe(0);
  });
  it('SEC-7: a flood of well-formed linkedAck signals naming made-up services, sent straight with the Temporal client, shows nowhere, fails no workflow task, and the sync still syncs', async () => {
    const { accountId, sync } = await syncWaitingForAcks();
    const before = await h.client.linkedStatus(accountId);
    const floods = 40;
    for (let i = 0; i < floods; i++) await sync.signal('linkedAck', { services: Array.from({ length: 16 }, (_, j) => `forged_${i}_${j}`) });
    await sync.signal('linkedAck', { service: '' });
    await eventually(async () => (await historyOf(sync)).ackSignals === floods + 1, 'every forged signal in the history');
    expect(await h.client.linkedStatus(accountId)).toEqual(before);
    await sync.signal('linkedAck', { services: LINKED_SERVICES });
    const st = await synced(accountId);
    expect(st.services.map((s) => s.name).sort()).toEqual([...LINKED_SERVICES].sort());
    await sync.result();
    expect((await historyOf(sync)).taskFailures).toBe(0);
  });

  it('SEC-7: an ack published with a huge accountId or a malformed requestId is dropped at the bridge once, never redelivered, and changes no sync', async () => {
    const warnings: string[] = [];
    const stop = await ackBridge(100, warnings);
    try {
      const { accountId, requestId } = await syncWaitingForAcks();
      const js = jetstream(h.services.nc);
      for (const bad of [
        { accountId: 'a'.repeat(100_000), requestId },
        { accountId, requestId: 'x' },
        { accountId, requestId: -1 },
        { accountId: null, requestId: NaN },
      ])
        await js.publish(SUBJECTS.linkedAck('bank_cards'), JSON.stringify(bad));
      const jsm = await jetstreamManager(h.services.nc);
      await eventually(async () => {
        const c = await jsm.consumers.info(STREAMS.linked.name, 'linked-ack-bridge');
        return c.num_pending === 0 && c.num_ack_pending === 0;
      }, 'every bad ack taken and acknowledged');
      expect((await jsm.consumers.info(STREAMS.linked.name, 'linked-ack-bridge')).num_redelivered).toBe(0);
      expect(warnings.filter((w) => w.includes('without a valid accountId/requestId'))).toHaveLength(4);
      const st = await h.client.linkedStatus(accountId);
      expect(st.state).toBe('syncing');
      expect(st.services.every((sv) => !sv.acknowledgedAt)).toBe(true);
    } finally {
      await stop();
    }
  });
});
