/**
 * What goes out at one moment of a change, in one (local) activity: the request notice with the
 * identity link or the first code, the completion notices with the start of the linked-service
 * sync. Each item keeps the de-duplication id it has as an activity of its own, so an item sent
 * here and again alone (the workflow's fallback after a retryable failure) reaches nobody twice.
 * Items are independent: one that fails does not hold back the others, and each outcome is told.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { PhoneChangeError } from '../workflows/domain/errors';
import type { LinkedSyncInput } from '../workflows/after-change.defs';
import { linkedSyncWorkflowId } from '../workflows/after-change.defs';
import type { FailureInfo } from '../workflows/phone-change.defs';
import type { IdentityLinkRequest, SendCodeRequest } from './code-sending';
import type { NoticeRequest, NoticeResult } from './notices';

/** One thing to send; `kind` names the activity that sends it alone. */
export type Outgoing =
  { kind: 'notify'; req: NoticeRequest } | { kind: 'sendCode'; req: SendCodeRequest } | { kind: 'sendIdentityLink'; req: IdentityLinkRequest } | { kind: 'startLinkedSync'; req: LinkedSyncInput };

/** An item's outcome; `retryable`: worth sending again (the gateway or the server may be back). */
export type Delivered = { ok: true; result?: NoticeResult } | { ok: false; retryable: boolean; failure: FailureInfo };

/** The single-item activities `deliver` runs; the stub suite passes its stubs here. */
export interface Senders {
  notify(req: NoticeRequest): Promise<NoticeResult>;
  sendCode(req: SendCodeRequest): Promise<void>;
  sendIdentityLink(req: IdentityLinkRequest): Promise<void>;
  startLinkedSync(req: LinkedSyncInput): Promise<void>;
}

export function createOutgoingActivities(senders: Senders) {
  /**
   * Sends the items side by side and tells each outcome in their order; it throws only on a fault
   * of its own. Side by side (issue 12): the items are independent and each has its own
   * de-duplication id, and the local activity holds the workflow task, so the answer to the
   * citizen's code waits for the slowest item, not for their sum.
   */
  async function deliver(items: Outgoing[]): Promise<Delivered[]> {
    return Promise.all(
      items.map(async (item): Promise<Delivered> => {
        try {
          const result = await send(senders, item);
          return result ? { ok: true, result } : { ok: true };
        } catch (err) {
          return outcomeOf(err);
        }
      }),
    );
  }
  return { deliver };
}

function send(s: Senders, item: Outgoing): Promise<NoticeResult | void> {
  switch (item.kind) {
    case 'notify':
      return s.notify(item.req);
    case 'sendCode':
      return s.sendCode(item.req);
    case 'sendIdentityLink':
      return s.sendIdentityLink(item.req);
    case 'startLinkedSync':
      return s.startLinkedSync(item.req);
  }
}

/** Business errors and non-retryable failures are final; anything else (a timeout, a server down) is worth another try. */
function outcomeOf(err: unknown): Delivered {
  if (err instanceof PhoneChangeError) return { ok: false, retryable: false, failure: { type: err.name, message: err.message, details: err.details } };
  if (err instanceof ApplicationFailure) {
    const details = err.details?.[0] as Record<string, unknown> | undefined;
    return { ok: false, retryable: !err.nonRetryable, failure: { type: err.type ?? 'Error', message: err.message, details } };
  }
  return { ok: false, retryable: true, failure: { type: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : 'unknown failure' } };
}

/**
 * AFTER-1: starts the linked-service sync, a workflow of its own that outlives the change, through
 * the worker's client (no child workflow: that costs the change two events and a workflow task).
 * The id names the change, so a retry or a second attempt finds the one already started.
 */
export async function startLinkedSync(req: LinkedSyncInput): Promise<void> {
  const ctx = Context.current();
  try {
    await ctx.client.workflow.start('linkedSync', {
      workflowId: linkedSyncWorkflowId(req.accountId, req.requestId),
      taskQueue: ctx.info.taskQueue,
      args: [{ accountId: req.accountId, requestId: req.requestId }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
