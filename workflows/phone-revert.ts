/**
 * DONE-4: support restores the previous number after a change that was not the owner's doing,
 * within the window. The registry is changed by compare-and-set (refused if the old number is now
 * someone else's, the account changed again, or the window closed); then every contact is told,
 * the event `phone.change.reverted` goes out and the history records the operator.
 */
import { messaging, registry } from './activity-proxies';
import { maskPhone } from './domain/mask';
import { operatorName } from './checks';
import { failureFromActivity } from './failures';
import type { RevertInput, RevertOutcome } from './after-change.defs';


export async function phoneRevert(input: RevertInput): Promise<RevertOutcome> {
  const at = new Date().toISOString();
  let restored;
  let operator;
  try {
    operator = await registry.verifyOperator({ credential: input.credential, role: 'support:revert', accountId: input.accountId, requestId: input.requestId, key: 'security-revert' });
    restored = await registry.revertPhone({ accountId: input.accountId, requestId: input.requestId, windowMs: input.windowMs, at });
  } catch (err) {
    return { state: 'refused', failure: failureFromActivity(err) };
  }
  const actor = operatorName(operator);
  await Promise.all([
    messaging.notify({
      accountId: input.accountId,
      requestId: input.requestId,
      kind: 'reverted',
      key: 'reverted',
      language: restored.language,
      smsTo: [restored.restoredPhone, restored.revertedFrom],
      email: restored.email,
      push: true,
      params: { requestId: input.requestId, newPhoneMasked: maskPhone(restored.restoredPhone) },
      at,
      actor,
      details: { reason: input.reason },
    }),
    messaging.publishEvent({ type: 'reverted', key: 'reverted', accountId: input.accountId, requestId: input.requestId, at, data: { operator: operator.id } }),
  ]);
  return { state: 'reverted' };
}
