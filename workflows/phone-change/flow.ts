/**
 * The phone change (one per account): checks the preconditions, confirms the citizen's identity
 * (SEC-2), proves the old number (OTP-1) or waits for support when it is lost or the change is too
 * frequent (LOST-*, FREQ-*), proves the new number (OTP-2), binds it atomically and tells everyone.
 * States and transitions: diagram.mmd beside this file.
 */
import { allHandlersFinished, condition, log, patched, sleep, startChild } from '@temporalio/workflow';
import { registry, registryLocal } from '../activity-proxies';
import type { linkedSync } from '../linked-sync';
import { linkedSyncWorkflowId } from '../after-change.defs';
import { failureFromActivity } from '../failures';
import * as code from '../code-step';
import { asInput, operatorName } from '../checks';
import type { FailureInfo, PhoneChangeInput, PhoneChangeResult, Step, SupportReason } from '../phone-change.defs';
import { ChangeModel, iso, type End } from './model';
import { everywhere, notice, noticeItem, ownerOnly, type Channels, type NoticeExtra } from './notices';
import { sendTogether, warnIfFailed } from './outgoing';
import { issueCode, sendIdentityLink } from './proofs';
import { registerHandlers } from './handlers';
import { validate } from './validate';
import { simSwapHold } from './sim-swap';

export async function phoneChange(raw: PhoneChangeInput): Promise<PhoneChangeResult> {
  const input = asInput(raw);
  const m = new ChangeModel(input);
  // Issue 12: fewer history events per change (what goes out together in one local activity, a
  // local binding, the linked sync started by an activity). The v6 shape stays for the histories
  // that began under it, until it retires (README "Changing a workflow").
  m.v7 = patched('fewer-events-v7');
  registerHandlers(m);
  const announced: Promise<unknown>[] = [];
  if (await validate(m)) {
    // SEC-3: the "not me" link is live before its notice leaves, and the start does not wait for the notice.
    m.rejectLinkIssued = true;
    const extra = { withRejectLink: true, event: { type: 'requested' } };
    // v7: it goes out with the first send of the change (identity link, first code or support notice).
    if (m.v7) m.carry.push(noticeItem(m, 'requested', everywhere(m), '', extra));
    else announced.push(notice(m, 'requested', everywhere(m), '', extra));
    await finish(m, await proceed(m));
    if (m.carry.length > 0) await sendTogether(m, []);
  }
  await Promise.all([...announced, ...m.background]);
  await condition(allHandlersFinished);
  return { requestId: input.requestId, state: m.state, completedAt: iso(m.completedAt), failure: m.failure };
}

async function proceed(m: ChangeModel): Promise<End> {
  let end: End | undefined;
  if (m.frequent) {
    end = await awaitSupport(m, 'frequent_change');
  } else {
    if (m.identityRequired) end = await checkIdentity(m);
    if (!end && !m.oldNumberLost) end = await prove(m, 'old');
    const simSwap = !end && !m.oldNumberLost ? await simSwapHold(m) : undefined; // SIG-1
    if (!end && simSwap) end = await awaitSupport(m, simSwap);
    if (!end && m.oldNumberLost) end = await awaitSupport(m, 'old_number_lost');
  }
  end ??= await prove(m, 'new');
  return end ?? (await commit(m));
}

/** SEC-2: a single-use link by SMS; the citizen confirms full name and passport data. */
async function checkIdentity(m: ChangeModel): Promise<End | undefined> {
  m.setState('awaiting_identity');
  await sendIdentityLink(m);
  const waited = await wait(m, () => m.identity.confirmed || m.usedUp(m.identityAttemptsLeft === 0, m.identity.judging) || m.oldNumberLost);
  if (waited) return waited;
  if (!m.identity.confirmed && !m.oldNumberLost) return { state: 'failed', failure: { type: 'IdentityCheckFailed', message: 'the identity data did not match the profile' } };
  return undefined;
}

/** One proof step: send the first code, then wait for a confirmation, exhaustion, a lost-number report or the deadline. */
async function prove(m: ChangeModel, step: Step): Promise<End | undefined> {
  m.setState(step === 'old' ? 'awaiting_old_number' : 'awaiting_new_number');
  const s = m.codes[step];
  try {
    await issueCode(m, step);
  } catch (err) {
    log.warn('first code not sent; the citizen may request another', { step, failure: failureFromActivity(err).type });
  }
  const lost = () => step === 'old' && m.oldNumberLost;
  const waited = await wait(m, () => s.confirmed || m.usedUp(code.isExhausted(s, m.rules), s.judging) || lost());
  if (waited) return waited;
  if (s.confirmed || lost()) return undefined;
  return { state: 'failed', failure: { type: 'AttemptsExhausted', message: `all codes of the ${step}-number step were used up`, details: { step } } };
}

/** LOST-1, FREQ-1, FREQ-2: the change waits for a support override (LOST-2); the new number is proved after it (LOST-3). */
async function awaitSupport(m: ChangeModel, reason: SupportReason): Promise<End | undefined> {
  m.supportReason = reason;
  m.setState('awaiting_support');
  await notice(m, reason, reason === 'frequent_change' ? everywhere(m) : ownerOnly());
  const waited = await wait(m, () => m.override !== undefined);
  if (waited) return waited;
  const o = m.override!;
  await notice(m, 'support_override', ownerOnly(), '', {
    actor: operatorName(o.operator),
    details: { method: o.method, evidenceRef: o.evidenceRef, reason: o.reason },
    event: { type: 'support_override', data: { operator: o.operator.id, method: o.method, supportReason: reason } },
  });
  return undefined;
}

/** Waits for `done`, a stop (reject, cancel) or the deadline; returns how the change ends, or undefined to go on. */
async function wait(m: ChangeModel, done: () => boolean): Promise<End | undefined> {
  if (m.v7) {
    // v7: one timer for the whole change, not one started and cancelled per wait (two events each).
    m.deadlineTimer ??= sleepUntilDeadline(m);
    await condition(() => done() || m.stop !== undefined || m.expired);
    if (m.stop) return m.stop;
    return done() ? undefined : { state: 'expired' };
  }
  const remaining = m.deadline! - Date.now();
  const settled = remaining > 0 && (await condition(() => done() || m.stop !== undefined, remaining));
  if (m.stop) return m.stop;
  return settled ? undefined : { state: 'expired' };
}

/** OTP-5 (v7): the change's deadline, started at its first wait; nothing cancels it (the change just ends). */
function sleepUntilDeadline(m: ChangeModel): Promise<void> {
  const expire = () => void (m.expired = true);
  const remaining = m.deadline! - Date.now();
  if (remaining <= 0) return Promise.resolve(expire());
  return sleep(remaining).then(expire, () => undefined);
}

/** PRE-3, DONE-1: binds the number atomically. */
async function commit(m: ChangeModel): Promise<End> {
  m.setState('committing');
  const changedAt = Date.now();
  try {
    await (m.v7 ? registryLocal : registry).bindPhone({
      accountId: m.input.accountId,
      requestId: m.input.requestId,
      oldPhone: m.snapshot.oldPhone,
      newPhone: m.input.newPhone,
      changedAt: new Date(changedAt).toISOString(),
    });
  } catch (err) {
    return { state: 'failed', failure: failureFromActivity(err) };
  }
  m.completedAt = changedAt;
  return { state: 'completed' };
}

async function finish(m: ChangeModel, end: End): Promise<void> {
  if (end.state !== 'completed' && (await boundAfterAll(m))) end = { state: 'completed' };
  switch (end.state) {
    case 'completed':
      m.setState('completed');
      await Promise.all(completionNotices(m));
      return;
    case 'expired': // OTP-5: the citizen is told.
      return close(m, 'expired', { type: 'ChangeExpired', message: 'the change was not finished in time' }, everywhere(m));
    case 'failed':
      return close(m, 'failed', end.failure, everywhere(m), { reason: end.failure.type });
    case 'rejected': {
      const failure = { type: 'ChangeRejected', message: end.by === 'owner' ? 'the owner said "this wasn\'t me"' : 'rejected by support' };
      const actor = end.operator ? operatorName(end.operator) : undefined;
      return close(m, 'rejected', failure, everywhere(m), { by: end.by }, { actor, details: end.reason ? { reason: end.reason } : undefined });
    }
    case 'cancelled':
      return close(m, 'cancelled', { type: 'ChangeCancelled', message: 'cancelled by the citizen' }, ownerOnly());
  }
}

/**
 * DONE-1 after a crash: the v7 binding is a local activity, so a worker that died after it wrote
 * and before its task completed left nothing of it in history, and the task run again may have
 * taken a cancel, a reject or the deadline first. Where a binding may have run (the new number's
 * step, or the binding itself), the registry is asked before the change ends another way; bound
 * by this request, it completes after all (activities/accounts.ts settleBinding). A later
 * release's step: its own patch, called here only, so a completed change pays no marker.
 */
async function boundAfterAll(m: ChangeModel): Promise<boolean> {
  if (!m.v7 || (m.state !== 'awaiting_new_number' && m.state !== 'committing')) return false;
  if (!patched('settle-binding-v8')) return false;
  const req = { accountId: m.input.accountId, requestId: m.input.requestId, oldPhone: m.snapshot.oldPhone, newPhone: m.input.newPhone, changedAtFallback: new Date().toISOString() };
  try {
    const settled = await registryLocal.settleBinding(req);
    if (settled.bound) m.completedAt = Date.parse(settled.changedAt) || Date.now();
    return settled.bound;
  } catch (err) {
    // A definite refusal (the account is gone, or lost every compare-and-set): the change ends as it
    // was going to; an unreachable registry is retried by the local activity until it answers.
    log.warn('binding not settled; the change ends as decided', { failure: failureFromActivity(err).type });
    return false;
  }
}

/** Ends the change unsuccessfully: the notice of that kind, with its event. */
async function close(
  m: ChangeModel,
  state: 'expired' | 'failed' | 'rejected' | 'cancelled',
  failure: FailureInfo,
  to: Channels,
  eventData?: Record<string, unknown>,
  extra: NoticeExtra = {},
): Promise<void> {
  m.failure = failure;
  m.setState(state);
  await notice(m, state, to, '', { ...extra, event: { type: state, data: eventData } });
}

/** DONE-2: the new number, e-mail and push get the completion notice; the old number is told too; AFTER-1 starts. */
function completionNotices(m: ChangeModel): Promise<unknown>[] {
  const done = { sms: [m.input.newPhone], email: true, push: true };
  const old = { sms: [m.snapshot.oldPhone], email: false, push: false };
  const completedEvent = { event: { type: 'completed', data: { newPhone: m.input.newPhone } } };
  if (!m.v7) return [notice(m, 'completed', done, '', completedEvent), notice(m, 'completed_old', old), startLinkedSync(m)];
  // v7: both notices and the start of the linked sync in one activity (no child workflow).
  const items = [
    noticeItem(m, 'completed', done, '', completedEvent),
    noticeItem(m, 'completed_old', old),
    { kind: 'startLinkedSync' as const, req: { accountId: m.input.accountId, requestId: m.input.requestId } },
  ];
  return [sendTogether(m, items).then((ds) => ds.forEach((d, i) => warnIfFailed(items[i]!, d)))];
}

/** AFTER-1: a workflow of its own that outlives this one, so the account is free for its next change. */
async function startLinkedSync(m: ChangeModel): Promise<void> {
  await startChild<typeof linkedSync>('linkedSync', {
    workflowId: linkedSyncWorkflowId(m.input.accountId, m.input.requestId),
    args: [{ accountId: m.input.accountId, requestId: m.input.requestId }],
    parentClosePolicy: 'ABANDON',
  });
}
