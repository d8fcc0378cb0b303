/**
 * DONE-4: support restores the previous number after a change that was not the owner's doing,
 * within the window of the worker's policy (SEC-7). The registry is changed by compare-and-set
 * (refused if the old number is now someone else's, the account changed again, or the window
 * closed); the change's linked-service sync is stopped and services learn the restored number
 * (hole 11); every contact is told, the event `phone.change.reverted` goes out and the history
 * records the operator.
 */
import { getExternalWorkflowHandle } from '@temporalio/workflow';
import { messaging, proofs, registry } from './activity-proxies';
import { maskPhone } from './domain/mask';
import { parse, schemas } from './domain/schemas';
import { operatorName } from './checks';
import { failureFromActivity } from './failures';
import { linkedRevertedSignal, linkedSyncWorkflowId, type RevertInput, type RevertOutcome } from './after-change.defs';

export async function phoneRevert(input: RevertInput): Promise<RevertOutcome> {
  const at = new Date().toISOString();
  let restored;
  let operator;
  try {
    parse(schemas.revert, input);
    const policy = await proofs.workerPolicy();
    operator = await registry.verifyOperator({ credential: input.credential, role: 'support:revert', accountId: input.accountId, requestId: input.requestId, key: 'security-revert' });
    restored = await registry.revertPhone({ accountId: input.accountId, requestId: input.requestId, windowMs: policy.revertWindowMs, at });
  } catch (err) {
    return { state: 'refused', failure: failureFromActivity(err) };
  }
  await stopLinkedSync(input);
  await messaging.notify({
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
    actor: operatorName(operator),
    details: { reason: input.reason },
    event: { type: 'reverted', data: { operator: operator.id } },
  });
  return { state: 'reverted' };
}

/** The sync tells its services the restored number and stops; when it is over already, this does the telling. */
async function stopLinkedSync(input: RevertInput): Promise<void> {
  try {
    await getExternalWorkflowHandle(linkedSyncWorkflowId(input.accountId, input.requestId)).signal(linkedRevertedSignal);
  } catch {
    await messaging.announceToLinkedServices({ accountId: input.accountId, requestId: input.requestId, at: new Date().toISOString(), attempt: 0, reverted: true });
  }
}
