/**
 * The phone change (one per account): checks the preconditions, confirms the citizen's identity
 * (SEC-2), proves the old number (OTP-1) or waits for support when it is lost or the change is too
 * frequent (LOST-*, FREQ-*), proves the new number (OTP-2), binds it atomically and tells everyone.
 * States and transitions: diagram.mmd beside this file.
 */
import { allHandlersFinished, condition, log, startChild } from '@temporalio/workflow';
import { proofs, registry, registryLocal } from '../activity-proxies';
import type { linkedSync } from '../linked-sync';
import { linkedSyncWorkflowId } from '../after-change.defs';
import { InvalidInputError, ProfileMismatchError, TwoFactorRequiredError } from '../domain/errors';
import { policyProblems } from '../domain/policy';
import { parse, schemas } from '../domain/schemas';
import { failureFromActivity, failureInfo } from '../failures';
import * as code from '../code-step';
import { operatorName } from '../checks';
import type { FailureInfo, PhoneChangeInput, PhoneChangeResult, Step, SupportReason } from '../phone-change.defs';
import { ChangeModel, iso, type End } from './model';
import { everywhere, notice, ownerOnly, type Channels, type NoticeExtra } from './notices';
import { issueCode, sendIdentityLink } from './proofs';
import { registerHandlers } from './handlers';
import { simSwapHold } from './sim-swap';

export async function phoneChange(input: PhoneChangeInput): Promise<PhoneChangeResult> {
  const m = new ChangeModel(input);
  registerHandlers(m);
  const announced: Promise<unknown>[] = [];
  if (await validate(m)) {
    // SEC-3: the "not me" link is live before its notice leaves, and the start does not wait for the notice.
    m.rejectLinkIssued = true;
    announced.push(notice(m, 'requested', everywhere(m), '', { withRejectLink: true, event: { type: 'requested' } }));
    await finish(m, await proceed(m));
  }
  await Promise.all(announced);
  await condition(allHandlersFinished);
  return { requestId: input.requestId, state: m.state, completedAt: iso(m.completedAt), failure: m.failure };
}

/** SEC-7, PRE-1..PRE-6: refuses (nothing sent) when the input or the account does not qualify. */
async function validate(m: ChangeModel): Promise<boolean> {
  const policy = await proofs.workerPolicy();
  const problems = policyProblems(policy);
  // The worker refuses to start with such a policy; a change never runs on one.
  if (problems.length > 0) throw new Error(`the worker's policy is out of bounds: ${problems.join('; ')}`);
  m.policy = policy;
  try {
    parse(schemas.input, m.input);
  } catch (err) {
    return refuse(m, failureInfo(err as InvalidInputError));
  }
  if (m.input.auth === 'password_only') {
    return refuse(m, failureInfo(new TwoFactorRequiredError('a self-service change needs a two-factor session (password and a one-time code)', { field: 'auth' })));
  }
  try {
    m.account = await registryLocal.loadAccount({ accountId: m.input.accountId, requestId: m.input.requestId, newPhone: m.input.newPhone, auth: m.input.auth });
  } catch (err) {
    return refuse(m, failureFromActivity(err));
  }
  m.frequent = isFrequent(m);
  m.identityRequired = m.rules.identityCheck && !m.frequent;
  if (m.identityRequired && !m.account.hasIdentity) {
    return refuse(m, failureInfo(new ProfileMismatchError('the profile has no identity data to check against: fix the profile first', { field: 'accountId' })));
  }
  return true;
}

/** FREQ-1: the previous change completed less than the window ago (workflow time). */
function isFrequent(m: ChangeModel): boolean {
  const last = m.snapshot.lastPhoneChangeAt;
  return last !== undefined && Date.now() - Date.parse(last) < m.rules.frequentChangeWindowMs;
}

function refuse(m: ChangeModel, failure: FailureInfo): false {
  m.failure = failure;
  m.setState('refused');
  return false;
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
  const waited = await wait(m, () => m.identity.confirmed || m.identityAttemptsLeft === 0 || m.oldNumberLost);
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
  const waited = await wait(m, () => s.confirmed || code.isExhausted(s, m.rules) || lost());
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
  const remaining = m.deadline! - Date.now();
  const settled = remaining > 0 && (await condition(() => done() || m.stop !== undefined, remaining));
  if (m.stop) return m.stop;
  return settled ? undefined : { state: 'expired' };
}

/** PRE-3, DONE-1: binds the number atomically. */
async function commit(m: ChangeModel): Promise<End> {
  m.setState('committing');
  const changedAt = Date.now();
  try {
    await registry.bindPhone({ accountId: m.input.accountId, requestId: m.input.requestId, oldPhone: m.snapshot.oldPhone, newPhone: m.input.newPhone, changedAt: new Date(changedAt).toISOString() });
  } catch (err) {
    return { state: 'failed', failure: failureFromActivity(err) };
  }
  m.completedAt = changedAt;
  return { state: 'completed' };
}

async function finish(m: ChangeModel, end: End): Promise<void> {
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
  return [notice(m, 'completed', done, '', { event: { type: 'completed', data: { newPhone: m.input.newPhone } } }), notice(m, 'completed_old', old), startLinkedSync(m)];
}

/** AFTER-1: a workflow of its own that outlives this one, so the account is free for its next change. */
async function startLinkedSync(m: ChangeModel): Promise<void> {
  await startChild<typeof linkedSync>('linkedSync', {
    workflowId: linkedSyncWorkflowId(m.input.accountId, m.input.requestId),
    args: [{ accountId: m.input.accountId, requestId: m.input.requestId }],
    parentClosePolicy: 'ABANDON',
  });
}
