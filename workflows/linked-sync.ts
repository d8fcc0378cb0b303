/**
 * AFTER-1: after a change completes, every linked service (SMS subscriptions, two-factor login,
 * bank cards, e-service subscriptions, mobile-app profiles) is told of the new number, on NATS;
 * each acknowledges on NATS (a bridge in the worker turns that into `linkedAck`). Laggards are
 * reminded until all have synced or the wait ends; the outcome is recorded in the history.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { messaging as acts } from './activity-proxies';
import { linkedAckSignal, linkedStatusQuery, type LinkedSyncInput, type LinkedSyncStatus } from './after-change.defs';


export async function linkedSync(input: LinkedSyncInput): Promise<LinkedSyncStatus> {
  let services: string[] = [];
  const acked = new Map<string, string>();
  let reminders = 0;
  let state: LinkedSyncStatus['state'] = 'syncing';
  const pending = () => services.filter((s) => !acked.has(s));
  const status = (): LinkedSyncStatus => ({
    state,
    services: services.map((name) => ({ name, acknowledgedAt: acked.get(name) })),
    pending: pending(),
    reminders,
  });
  setHandler(linkedStatusQuery, status);
  // Acks that overtake the announcement's completion are kept, not lost.
  setHandler(linkedAckSignal, ({ service }) => {
    if (typeof service === 'string' && !acked.has(service)) acked.set(service, new Date().toISOString());
  });

  const base = { accountId: input.accountId, requestId: input.requestId, newPhone: input.newPhone };
  services = await acts.announceToLinkedServices({ ...base, at: new Date().toISOString(), attempt: 0 });
  const deadline = Date.now() + input.waitMs;
  while (pending().length > 0 && Date.now() < deadline) {
    await condition(() => pending().length === 0, Math.max(1, Math.min(input.remindEveryMs, deadline - Date.now())));
    if (pending().length > 0 && Date.now() < deadline) {
      reminders += 1;
      await acts.announceToLinkedServices({ ...base, at: new Date().toISOString(), attempt: reminders, only: pending() });
    }
  }
  state = pending().length === 0 ? 'synced' : 'not_synced';
  await acts.recordHistory({
    accountId: input.accountId,
    requestId: input.requestId,
    kind: state === 'synced' ? 'linked_synced' : 'linked_not_synced',
    key: `linked-${state}`,
    at: new Date().toISOString(),
    text: state === 'synced' ? `all ${services.length} linked services have the new number` : `not synced after ${reminders} reminders: ${pending().join(', ')}`,
    details: { pending: pending().join(','), reminders: String(reminders) },
  });
  return status();
}
