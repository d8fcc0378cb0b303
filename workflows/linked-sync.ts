/**
 * AFTER-1: after a change completes, every linked service (SMS subscriptions, two-factor login,
 * bank cards, e-service subscriptions, mobile-app profiles) is told of the new number, on NATS;
 * each acknowledges on NATS (a bridge in the worker turns that into `linkedAck`). Laggards are
 * reminded until all have synced or the wait ends; the outcome is recorded in the history.
 * A revert (DONE-4) stops it: services learn the restored number instead (hole 11). The number
 * told always comes from the registry, so neither this workflow's input nor a signal can put a
 * number of its own into the services' feed.
 */
import { condition, patched, setHandler } from '@temporalio/workflow';
import { messaging, messagingLocal, proofs } from './activity-proxies';
import { parse, schemas } from './domain/schemas';
import type { LinkedSyncState } from './domain/outcomes';
import { acknowledgedServices, linkedAckSignal, linkedRevertedSignal, linkedStatusQuery, recordAcks, type LinkedSyncInput, type LinkedSyncStatus } from './after-change.defs';

export async function linkedSync(input: LinkedSyncInput): Promise<LinkedSyncStatus> {
  // Issue 12 (v7): the announcements and the record are short and de-duplicated (one message id
  // per service and round), so they run as local activities: one event each, no workflow task.
  const acts = patched('fewer-events-v7') ? messagingLocal : messaging;
  let services: string[] = [];
  const acked = new Map<string, string>();
  let reminders = 0;
  let revertAsked = false;
  let state: LinkedSyncState = 'syncing';
  const pending = () => services.filter((s) => !acked.has(s));
  const status = (): LinkedSyncStatus => ({
    state,
    services: services.map((name) => ({ name, acknowledgedAt: acked.get(name) })),
    pending: pending(),
    reminders,
  });
  setHandler(linkedStatusQuery, status);
  // Acks that overtake the announcement's completion are kept, not lost. One signal may carry
  // several services (issue 12) or one (the old form); a malformed one acknowledges nothing, and a
  // flood of made-up names keeps at most a few (SEC-7). Genuine acks come after the announcement,
  // whose result the first workflow task already holds, so the bound before it meets forged names
  // only: histories recorded before the bound replay unchanged, unless over 16 forged names and a
  // genuine ack all reached a first task held open by a local activity (over 8 s).
  setHandler(linkedAckSignal, (ack) => recordAcks(acked, services, acknowledgedServices(ack), new Date().toISOString()));
  setHandler(linkedRevertedSignal, () => void (revertAsked = true));

  // SEC-7: anyone who can reach Temporal may start this workflow, so its input names the change
  // only; how long to wait and how often to remind come from the worker's policy.
  try {
    parse(schemas.linkedSync, input);
  } catch {
    state = 'not_synced';
    return status();
  }
  const { linkedSyncWaitMs, linkedRemindEveryMs } = await proofs.workerPolicy();
  const base = { accountId: input.accountId, requestId: input.requestId };
  const announce = (attempt: number, only?: string[]) => acts.announceToLinkedServices({ ...base, at: new Date().toISOString(), attempt, only });
  services = await announce(0);
  for (const name of acked.keys()) if (!services.includes(name)) acked.delete(name);
  const deadline = Date.now() + linkedSyncWaitMs;
  while (pending().length > 0 && Date.now() < deadline && state === 'syncing') {
    await condition(() => pending().length === 0 || revertAsked, Math.max(1, Math.min(linkedRemindEveryMs, deadline - Date.now())));
    if (revertAsked) {
      revertAsked = false;
      // Only a revert the registry shows stops the sync: a forged signal changes nothing.
      if ((await acts.announceToLinkedServices({ ...base, at: new Date().toISOString(), attempt: reminders + 1, reverted: true })).length > 0) state = 'reverted';
    } else if (pending().length > 0 && Date.now() < deadline) {
      reminders += 1;
      await announce(reminders, pending());
    }
  }
  if (state === 'syncing') state = pending().length === 0 ? 'synced' : 'not_synced';
  await acts.recordHistory({
    ...base,
    kind: `linked_${state}`,
    key: `linked-${state}`,
    at: new Date().toISOString(),
    text: outcomeText(state, services.length, reminders, pending()),
    details: { pending: pending().join(','), reminders: String(reminders) },
  });
  return status();
}

function outcomeText(state: LinkedSyncState, count: number, reminders: number, pending: string[]): string {
  if (state === 'synced') return `all ${count} linked services have the new number`;
  if (state === 'reverted') return 'the change was reverted: linked services were told the restored number';
  return `not synced after ${reminders} reminders: ${pending.join(', ')}`;
}
