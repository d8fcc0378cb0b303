/**
 * v7 (issue 12): what goes out at one moment leaves in one local activity (`deliver`): one history
 * event instead of three per activity plus a workflow task to hear of it. The change may carry
 * items to its next send (the request notice rides with the identity link or the first code).
 * An item that failed retryably (a gateway down) goes again alone as the regular activity it was
 * in v6, with the gentle retry policy; de-duplication ids are the same, so nobody gets it twice.
 */
import { log } from '@temporalio/workflow';
import { messaging, outgoing } from '../activity-proxies';
import { failureFromActivity } from '../failures';
import type { Delivered, Outgoing } from '../../activities';
import type { ChangeModel } from './model';

/**
 * Sends `items` together with what the change carries; returns the outcome of each of `items`
 * once it is final. A carried item's retry runs in the background (the change awaits it at its end).
 */
export async function sendTogether(m: ChangeModel, items: Outgoing[]): Promise<Delivered[]> {
  const carried = m.carry.splice(0);
  const all = [...items, ...carried];
  let first: Delivered[];
  try {
    first = await outgoing.deliver(all);
  } catch (err) {
    first = all.map(() => ({ ok: false, retryable: true, failure: failureFromActivity(err) }));
  }
  const settle = (i: number) => (first[i]!.ok || !first[i]!.retryable ? Promise.resolve(first[i]!) : alone(all[i]!));
  for (const [j, item] of carried.entries()) m.background.push(settle(items.length + j).then((d) => warnIfFailed(item, d)));
  return Promise.all(items.map((item, i) => settle(i)));
}

/** One item as its own regular activity, retried gently (v6's shape). */
async function alone(item: Outgoing): Promise<Delivered> {
  try {
    switch (item.kind) {
      case 'notify':
        return { ok: true, result: await messaging.notify(item.req) };
      case 'sendCode':
        await messaging.sendCode(item.req);
        return { ok: true };
      case 'sendIdentityLink':
        await messaging.sendIdentityLink(item.req);
        return { ok: true };
      case 'startLinkedSync':
        await messaging.startLinkedSync(item.req);
        return { ok: true };
    }
  } catch (err) {
    return { ok: false, retryable: false, failure: failureFromActivity(err) };
  }
}

export function warnIfFailed(item: Outgoing, d: Delivered): void {
  if (!d.ok) log.warn('not delivered', { item: item.kind, failure: d.failure.type });
}
