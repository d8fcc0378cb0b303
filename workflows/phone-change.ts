/**
 * The phone change (one per account): a state machine that checks the preconditions, confirms the
 * citizen's identity (SEC-2), proves the old number (OTP-1) or waits for support when it is lost
 * or the change is too frequent (LOST-*, FREQ-*), proves the new number (OTP-2), binds it
 * atomically and tells everyone. States and transitions: phone-change.mmd.
 */
import { allHandlersFinished, condition, log, patched, setHandler, startChild, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { messaging, registry, registryLocal } from './activity-proxies';
import type { linkedSync } from './linked-sync';
import { linkedSyncWorkflowId } from './after-change.defs';
import type { AccountSnapshot, NoticeRequest, NoticeResult } from '../activities';
import { ChangeAlreadyOpenError, InvalidTokenError, ProfileMismatchError, RateLimitedError, TwoFactorRequiredError, WrongStateError, InvalidInputError } from './domain/errors';
import { maskPhone } from './domain/mask';
import { resolvePolicy, type Policy } from './domain/policy';
import { sameHash } from './domain/same-hash';
import * as code from './code-step';
import { hashProblem, inputProblem, operatorName, overrideProblem, rejectProblem } from './checks';
import { failureFromActivity, failureInfo, fromInfo, toFailure } from './failures';
import {
  cancelUpdate,
  confirmIdentityUpdate,
  rejectUpdate,
  reportOldNumberLostUpdate,
  resendCodeUpdate,
  searchAttributes,
  startUpdate,
  statusQuery,
  stoppableStates,
  submitCodeSignal,
  submitCodeUpdate,
  submitRecoveryCodeUpdate,
  supportOverrideUpdate,
  terminalStates,
  type CancelRequest,
  type ChangeRef,
  type ChangeState,
  type ChangeStatus,
  type CodeVerdict,
  type ConfirmIdentityRequest,
  type FailureInfo,
  type IdentityVerdict,
  type OperatorRef,
  type OperatorRole,
  type PhoneChangeInput,
  type PhoneChangeResult,
  type ResendResult,
  type Step,
  type SubmitCodeRequest,
  type SupportOverride,
  type SupportReason,
} from './phone-change.defs';


/**
 * Added identity check (SEC-2), frequent-change hold (FREQ-*) and the reject link (SEC-3).
 * Histories recorded before it replay without them.
 */
const PATCH_ALL_PATHS = 'all-paths-v2';
/** Added the linked-service sync (AFTER-1) after completion. */
const PATCH_LINKED_SERVICES = 'linked-services-v3';
/** Support actions carry a signed operator credential, verified before they count. */
const PATCH_OPERATOR_CREDENTIALS = 'operator-credentials-v4';
/** Fewer server round trips: the account check as a local activity, each event sent with its notice. */
const PATCH_FEWER_ROUND_TRIPS = 'fewer-round-trips-v5';

export async function phoneChange(input: PhoneChangeInput): Promise<PhoneChangeResult> {
  return new PhoneChange(input).run();
}

/** How a change ended, or undefined while it goes on. */
type End =
  | { state: 'completed' }
  | { state: 'expired' }
  | { state: 'failed'; failure: FailureInfo }
  | { state: 'rejected'; by: 'owner' | 'support'; operator?: OperatorRef; reason?: string }
  | { state: 'cancelled'; reason?: string };
type Stop = Extract<End, { state: 'rejected' | 'cancelled' }>;
type Audience = { sms: string[]; email: boolean; push: boolean };
type NoticeExtra = Pick<NoticeRequest, 'withRejectLink' | 'actor' | 'details' | 'countWrongEntry'>;

interface IdentityCheck {
  seq: number;
  tokenHash?: string;
  sending: boolean;
  mismatches: number;
  confirmed: boolean;
}

class PhoneChange {
  private state: ChangeState = 'validating';
  private readonly policy: Policy;
  private readonly startedAt = Date.now();
  private readonly deadline: number;
  private account?: AccountSnapshot;
  private readonly codes: Record<Step, code.CodeStep> = { old: code.newCodeStep('old'), new: code.newCodeStep('new') };
  private readonly identity: IdentityCheck = { seq: 0, sending: false, mismatches: 0, confirmed: false };
  private identityRequired = false;
  private frequent = false;
  private oldNumberLost = false;
  private supportReason?: SupportReason;
  private override?: SupportOverride;
  private rejectTokenHash?: string;
  private stop?: Stop;
  private failure?: FailureInfo;
  private completedAt?: number;
  private noticeSeq = 0;
  private fewerRoundTrips = false;
  /** Workflow time until which code entries are refused (too many wrong entries on the account). */
  private blockedUntil = 0;

  constructor(private readonly input: PhoneChangeInput) {
    this.policy = resolvePolicy(input.policy);
    this.deadline = this.startedAt + this.policy.changeTtlMs;
    this.registerHandlers();
  }

  async run(): Promise<PhoneChangeResult> {
    this.setState('validating');
    if (await this.validate()) {
      await this.announceRequested();
      await this.finish(await this.proceed());
    }
    await condition(allHandlersFinished);
    return { requestId: this.input.requestId, state: this.state, completedAt: this.iso(this.completedAt), failure: this.failure };
  }

  /** PRE-1..PRE-6: refuses (nothing sent) when the input or the account does not qualify. */
  private async validate(): Promise<boolean> {
    const problem = inputProblem(this.input);
    if (problem) return this.refuse(failureInfo(problem));
    if (this.input.auth === 'password_only') {
      return this.refuse(failureInfo(new TwoFactorRequiredError('a self-service change needs a two-factor session (password and a one-time code)', { field: 'auth' })));
    }
    this.fewerRoundTrips = patched(PATCH_FEWER_ROUND_TRIPS);
    const load = this.fewerRoundTrips ? registryLocal.loadAccount : registry.loadAccount;
    try {
      this.account = await load({ accountId: this.input.accountId, newPhone: this.input.newPhone, auth: this.input.auth });
    } catch (err) {
      return this.refuse(failureFromActivity(err));
    }
    if (patched(PATCH_ALL_PATHS)) {
      this.frequent = this.isFrequent();
      this.identityRequired = this.policy.identityCheck && !this.frequent;
      if (this.identityRequired && !this.account.identityHash) {
        return this.refuse(failureInfo(new ProfileMismatchError('the profile has no identity data to check against: fix the profile first', { field: 'accountId' })));
      }
    }
    return true;
  }

  /** FREQ-1: the previous change completed less than the window ago (workflow time). */
  private isFrequent(): boolean {
    const last = this.snapshot.lastPhoneChangeAt;
    return last !== undefined && Date.now() - Date.parse(last) < this.policy.frequentChangeWindowMs;
  }

  private async proceed(): Promise<End> {
    let end: End | undefined;
    if (this.frequent) {
      await this.notice('frequent_change', { sms: [this.snapshot.oldPhone], email: true, push: true });
      end = await this.awaitSupport('frequent_change');
    } else {
      if (this.identityRequired) end = await this.checkIdentity();
      if (!end && !this.oldNumberLost) end = await this.prove('old');
      if (!end && this.oldNumberLost) end = await this.awaitSupport('old_number_lost');
    }
    end ??= await this.prove('new');
    return end ?? (await this.commit());
  }

  /** SEC-2: a single-use link by SMS; the citizen confirms full name and passport data. */
  private async checkIdentity(): Promise<End | undefined> {
    this.setState('awaiting_identity');
    const id = this.identity;
    id.seq += 1;
    id.sending = true;
    try {
      id.tokenHash = (await messaging.sendIdentityLink({ accountId: this.input.accountId, requestId: this.input.requestId, seq: id.seq, to: this.snapshot.oldPhone, language: this.snapshot.language })).tokenHash;
    } catch (err) {
      log.warn('identity link not sent', { failure: failureFromActivity(err).type });
    } finally {
      id.sending = false;
    }
    const waited = await this.wait(() => id.confirmed || this.identityExhausted || this.oldNumberLost);
    if (waited) return waited;
    if (this.identityExhausted) return { state: 'failed', failure: { type: 'IdentityCheckFailed', message: 'the identity data did not match the profile' } };
    return undefined;
  }

  private get identityExhausted(): boolean {
    return this.identity.mismatches >= this.policy.maxWrongPerCode;
  }

  /** One proof step: send the first code, then wait for a confirmation, exhaustion, a lost-number report or the deadline. */
  private async prove(step: Step): Promise<End | undefined> {
    this.setState(step === 'old' ? 'awaiting_old_number' : 'awaiting_new_number');
    const s = this.codes[step];
    try {
      await this.issueCode(step);
    } catch (err) {
      log.warn('first code not sent; the citizen may request another', { step, failure: failureFromActivity(err).type });
    }
    const waited = await this.wait(() => s.confirmed || code.isExhausted(s, this.policy) || (step === 'old' && this.oldNumberLost));
    if (waited) return waited;
    if (s.confirmed || (step === 'old' && this.oldNumberLost)) return undefined;
    return { state: 'failed', failure: { type: 'AttemptsExhausted', message: `all codes of the ${step}-number step were used up`, details: { step } } };
  }

  /** LOST-1, FREQ-2: the change waits for a support override (LOST-2); the new number is proved after it (LOST-3). */
  private async awaitSupport(reason: SupportReason): Promise<End | undefined> {
    this.supportReason = reason;
    this.setState('awaiting_support');
    if (reason === 'old_number_lost') await this.notice('old_number_lost', { sms: [], email: true, push: true });
    const waited = await this.wait(() => this.override !== undefined);
    if (waited) return waited;
    const o = this.override!;
    await Promise.all([
      this.notice('support_override', { sms: [], email: true, push: true }, '', {
        actor: operatorName(o.operator),
        details: { method: o.method, evidenceRef: o.evidenceRef, reason: o.reason },
      }),
      this.event('support_override', { operator: o.operator.id, method: o.method, supportReason: reason }),
    ]);
    return undefined;
  }

  /** Waits for `done`, a stop (reject, cancel) or the deadline; returns how the change ends, or undefined to go on. */
  private async wait(done: () => boolean): Promise<End | undefined> {
    const remaining = this.deadline - Date.now();
    const settled = remaining > 0 && (await condition(() => done() || this.stop !== undefined, remaining));
    if (this.stop) return this.stop;
    return settled ? undefined : { state: 'expired' };
  }

  /** PRE-3, DONE-1: binds the number atomically. */
  private async commit(): Promise<End> {
    this.setState('committing');
    const changedAt = Date.now();
    try {
      await registry.bindPhone({ accountId: this.input.accountId, requestId: this.input.requestId, oldPhone: this.snapshot.oldPhone, newPhone: this.input.newPhone, changedAt: new Date(changedAt).toISOString() });
    } catch (err) {
      return { state: 'failed', failure: failureFromActivity(err) };
    }
    this.completedAt = changedAt;
    return { state: 'completed' };
  }

  private async finish(end: End): Promise<void> {
    const all: Audience = { sms: [this.snapshot.oldPhone], email: true, push: true };
    switch (end.state) {
      case 'completed':
        this.setState('completed');
        await Promise.all(this.completionNotices());
        return;
      case 'expired':
        // OTP-5: the citizen is told.
        return this.end('expired', { type: 'ChangeExpired', message: 'the change was not finished in time' }, 'expired', all);
      case 'failed':
        return this.end('failed', end.failure, 'failed', all, { reason: end.failure.type });
      case 'rejected': {
        const actor = end.operator ? operatorName(end.operator) : undefined;
        const failure = { type: 'ChangeRejected', message: end.by === 'owner' ? 'the owner said "this wasn\'t me"' : 'rejected by support' };
        return this.end('rejected', failure, 'rejected', all, { by: end.by }, { actor, details: end.reason ? { reason: end.reason } : undefined });
      }
      case 'cancelled':
        return this.end('cancelled', { type: 'ChangeCancelled', message: 'cancelled by the citizen' }, 'cancelled', { sms: [], email: true, push: true });
    }
  }

  /** DONE-2: the new number, e-mail and push get the completion notice; the old number is told too; AFTER-1 starts. */
  private completionNotices(): Promise<unknown>[] {
    const done = { sms: [this.input.newPhone], email: true, push: true };
    const old = { sms: [this.snapshot.oldPhone], email: false, push: false };
    const event = { type: 'completed', data: { newPhone: this.input.newPhone } };
    // The order of the calls is the order of the commands: older histories keep theirs.
    const sends = this.fewerRoundTrips
      ? [this.notice('completed', done, '', { event }), this.notice('completed_old', old)]
      : [this.notice('completed', done), this.notice('completed_old', old), this.event(event.type, event.data)];
    return [...sends, ...(patched(PATCH_LINKED_SERVICES) ? [this.startLinkedSync()] : [])];
  }

  /** AFTER-1: a workflow of its own that outlives this one, so the account is free for its next change. */
  private async startLinkedSync(): Promise<void> {
    await startChild<typeof linkedSync>('linkedSync', {
      workflowId: linkedSyncWorkflowId(this.input.accountId, this.input.requestId),
      args: [{ accountId: this.input.accountId, requestId: this.input.requestId, newPhone: this.input.newPhone, waitMs: this.policy.linkedSyncWaitMs, remindEveryMs: this.policy.linkedRemindEveryMs }],
      parentClosePolicy: 'ABANDON',
    });
  }

  private async end(state: ChangeState, failure: FailureInfo, kind: NoticeRequest['kind'], to: Audience, eventData?: Record<string, unknown>, extra?: NoticeExtra): Promise<void> {
    this.failure = failure;
    this.setState(state);
    await this.noticeWithEvent(kind, to, { type: state, data: eventData }, extra);
  }

  private refuse(failure: FailureInfo): false {
    this.failure = failure;
    this.setState('refused');
    return false;
  }

  private async issueCode(step: Step): Promise<void> {
    const s = this.codes[step];
    const before = { seq: s.seq, sentAt: s.sentAt };
    s.seq += 1;
    // Reserve the cooldown before the await, so a concurrent resend is refused.
    s.sentAt = Date.now();
    s.sending = true;
    try {
      const { codeHash } = await messaging.sendCode({
        accountId: this.input.accountId,
        requestId: this.input.requestId,
        step,
        seq: s.seq,
        to: step === 'old' ? this.snapshot.oldPhone : this.input.newPhone,
        language: this.snapshot.language,
        ttlMinutes: Math.ceil(this.policy.codeTtlMs / 60_000),
      });
      code.recordSent(s, codeHash, Date.now(), this.policy);
    } catch (err) {
      // A code that was not sent (rate limit, gateway down) costs the citizen nothing.
      Object.assign(s, before);
      throw err;
    } finally {
      s.sending = false;
    }
  }

  private registerHandlers(): void {
    setHandler(statusQuery, () => this.status());
    setHandler(startUpdate, async () => this.startAnswer(), {
      validator: (req) => {
        // PRE-4: a different request while this one is open is refused with this one's id.
        if (req?.requestId !== this.input.requestId) {
          throw toFailure(new ChangeAlreadyOpenError(`the account has an open change, request ${this.input.requestId}`, { field: 'requestId', openRequestId: this.input.requestId }));
        }
      },
    });
    setHandler(submitCodeUpdate, async (req) => this.submitCode(req), { validator: (req) => this.checkSubmission(req) });
    setHandler(submitCodeSignal, async (req) => {
      try {
        this.checkSubmission(req);
      } catch {
        log.warn('code signal ignored: not acceptable now', { state: this.state });
        return;
      }
      await this.submitCode(req);
    });
    setHandler(resendCodeUpdate, async ({ step }) => this.resend(step), {
      validator: (req: { step: Step }) => {
        const step = req?.step;
        this.checkAwaiting(step);
        const refusal = code.resendRefusal(this.codes[step], Date.now(), this.policy);
        if (refusal) throw toFailure(refusal);
      },
    });
    setHandler(confirmIdentityUpdate, async (req) => this.confirmIdentity(req), {
      validator: (req) => {
        const p = hashProblem(req?.tokenHash, 'tokenHash') ?? hashProblem(req?.identityHash, 'identityHash');
        if (p) throw toFailure(p);
        this.checkState(['awaiting_identity'], 'confirm identity');
      },
    });
    setHandler(reportOldNumberLostUpdate, async () => {
      this.oldNumberLost = true;
      await condition(() => this.state === 'awaiting_support' || terminalStates.has(this.state));
      return this.ref();
    }, { validator: () => this.checkState(['awaiting_identity', 'awaiting_old_number'], 'report the old number lost') });
    setHandler(supportOverrideUpdate, async (req) => {
      const operator = await this.operatorOf(req, 'support:override');
      if (this.override) throw toFailure(new WrongStateError('another operator has just approved this change', { state: this.state }));
      this.override = { operator, method: req.method, evidenceRef: req.evidenceRef, reason: req.reason, at: new Date().toISOString() };
      await condition(() => this.state !== 'awaiting_support');
      return this.ref();
    }, {
      validator: (req) => {
        const p = overrideProblem(req);
        if (p) throw toFailure(p);
        this.checkState(['awaiting_support'], 'take a support override');
      },
    });
    setHandler(rejectUpdate, async (req) => {
      const operator = req.by === 'support' ? await this.operatorOf(req, 'support:reject') : undefined;
      this.stop ??= req.by === 'owner' ? { state: 'rejected', by: 'owner' } : { state: 'rejected', by: 'support', operator, reason: req.reason };
      await condition(() => terminalStates.has(this.state));
      return this.ref();
    }, {
      validator: (req) => {
        const p = rejectProblem(req);
        if (p) throw toFailure(p);
        this.checkState([...stoppableStates], 'be rejected');
        // SEC-3: the single-use link from the request notice; a forged or foreign token is refused.
        if (req.by === 'owner' && !sameHash(req.tokenHash, this.rejectTokenHash)) {
          throw toFailure(new InvalidTokenError('the reject link is not valid for this change', { field: 'token' }));
        }
      },
    });
    setHandler(submitRecoveryCodeUpdate, async ({ codeHash }) => this.submitRecoveryCode(codeHash), {
      validator: (req) => this.checkSubmission({ step: 'old', codeHash: req?.codeHash }),
    });
    setHandler(cancelUpdate, async (req) => {
      this.stop = { state: 'cancelled', reason: req?.reason };
      await condition(() => terminalStates.has(this.state));
      return this.ref();
    }, {
      validator: (req: CancelRequest) => {
        if (req !== undefined && (typeof req !== 'object' || req === null || (req.reason !== undefined && (typeof req.reason !== 'string' || req.reason.length > 500)))) {
          throw toFailure(new InvalidInputError('reason must be text up to 500 characters', { field: 'reason' }));
        }
        this.checkState([...stoppableStates], 'be cancelled');
      },
    });
  }

  /**
   * The operator a support action's credential proves (verified by an activity, which records a
   * refusal as a security event). Histories from before credentials carry the operator as given.
   */
  private async operatorOf(req: { credential?: string; operator?: OperatorRef }, role: OperatorRole): Promise<OperatorRef> {
    if (!patched(PATCH_OPERATOR_CREDENTIALS)) return req.operator ?? { id: 'unknown' };
    try {
      const v = await registry.verifyOperator({ credential: req.credential ?? '', role, accountId: this.input.accountId, requestId: this.input.requestId, key: `security-${++this.noticeSeq}` });
      return { id: v.id, name: v.name };
    } catch (err) {
      throw fromInfo(failureFromActivity(err));
    }
  }

  private async startAnswer(): Promise<ChangeRef> {
    await condition(() => this.state !== 'validating');
    if (this.state === 'refused' && this.failure) throw fromInfo(this.failure);
    return this.ref();
  }

  private ref(): ChangeRef {
    return { accountId: this.input.accountId, requestId: this.input.requestId, workflowId: workflowInfo().workflowId, state: this.state };
  }

  private checkState(allowed: ChangeState[], action: string): void {
    if (!allowed.includes(this.state)) {
      throw toFailure(new WrongStateError(`the change is ${this.state}; it cannot ${action} now`, { state: this.state }));
    }
  }

  private checkSubmission(req: SubmitCodeRequest): void {
    if (typeof req !== 'object' || req === null) throw toFailure(new InvalidInputError('a code submission is required', { field: 'request' }));
    const p = hashProblem(req.codeHash, 'codeHash');
    if (p) throw toFailure(p);
    this.checkAwaiting(req.step);
    const wait = this.blockedUntil - Date.now();
    if (wait > 0) {
      throw toFailure(new RateLimitedError(`too many wrong codes on this account; try again in ${Math.ceil(wait / 1000)} s`, { scope: 'wrongEntriesPerAccount', retryAfterMs: wait }));
    }
  }

  private checkAwaiting(step: Step): void {
    if (step !== 'old' && step !== 'new') throw toFailure(new InvalidInputError('step must be "old" or "new"', { field: 'step' }));
    const wanted: ChangeState = step === 'old' ? 'awaiting_old_number' : 'awaiting_new_number';
    if (this.state !== wanted) {
      throw toFailure(new WrongStateError(`the change is ${this.state}, not waiting for the ${step}-number code`, { field: 'step', state: this.state }));
    }
  }

  /** OTP-3, OTP-4: judges a code; a wrong one is recorded and the citizen told how to go on. */
  private async submitCode(req: SubmitCodeRequest): Promise<CodeVerdict> {
    const s = this.codes[req.step];
    await condition(() => !s.sending);
    const wrongBefore = s.wrong;
    const outcome = code.judge(s, req.codeHash, Date.now(), this.policy);
    const verdict: CodeVerdict = { outcome, attemptsLeft: code.attemptsLeft(s, this.policy), codesLeft: code.codesLeft(s, this.policy), state: this.state };
    if (s.wrong > wrongBefore) {
      const counted = await this.notice('wrong_code', { sms: [], email: false, push: true }, `-${req.step}-${s.seq}-${s.wrong}`, { countWrongEntry: true });
      if (counted?.blockedForMs) this.blockedUntil = Date.now() + counted.blockedForMs;
    }
    return verdict;
  }

  /** REC-3: a backup recovery code proves the owner instead of the old-number code; a wrong one counts as a wrong entry. */
  private async submitRecoveryCode(codeHash: string): Promise<CodeVerdict> {
    const s = this.codes.old;
    await condition(() => !s.sending);
    let accepted = false;
    try {
      accepted = (await registry.useRecoveryCode({ accountId: this.input.accountId, requestId: this.input.requestId, codeHash })).accepted;
    } catch (err) {
      throw fromInfo(failureFromActivity(err));
    }
    if (accepted) s.confirmed = true;
    else s.wrong += 1;
    return { outcome: accepted ? 'accepted' : code.attemptsLeft(s, this.policy) === 0 ? 'exhausted' : 'wrong', attemptsLeft: code.attemptsLeft(s, this.policy), codesLeft: code.codesLeft(s, this.policy), state: this.state };
  }

  /** SEC-2: a token from another link is refused; data that does not match the profile counts as a failed attempt. */
  private async confirmIdentity(req: ConfirmIdentityRequest): Promise<IdentityVerdict> {
    const id = this.identity;
    await condition(() => !id.sending);
    if (!sameHash(req.tokenHash, id.tokenHash)) throw toFailure(new InvalidTokenError('the identity link is not valid for this change', { field: 'token' }));
    if (sameHash(req.identityHash, this.snapshot.identityHash)) {
      id.confirmed = true;
      id.tokenHash = undefined; // single use
    } else {
      id.mismatches += 1;
      await this.notice('identity_mismatch', { sms: [], email: false, push: true }, `-${id.mismatches}`);
    }
    const attemptsLeft = Math.max(0, this.policy.maxWrongPerCode - id.mismatches);
    return { outcome: id.confirmed ? 'confirmed' : attemptsLeft === 0 ? 'exhausted' : 'mismatch', attemptsLeft, state: this.state };
  }

  private async resend(step: Step): Promise<ResendResult> {
    const refusal = code.resendRefusal(this.codes[step], Date.now(), this.policy);
    if (refusal) throw toFailure(refusal);
    await this.issueCode(step);
    const s = this.codes[step];
    return {
      step,
      codesLeft: code.codesLeft(s, this.policy),
      codeExpiresAt: new Date(s.expiresAt ?? Date.now()).toISOString(),
      nextResendAt: new Date((s.sentAt ?? Date.now()) + this.policy.resendCooldownMs).toISOString(),
    };
  }

  /** SEC-3: the old number, the e-mail and push learn of every attempt, with a "this wasn't me" link. */
  private async announceRequested(): Promise<void> {
    const notice = await this.noticeWithEvent('requested', { sms: [this.snapshot.oldPhone], email: true, push: true }, { type: 'requested' }, { withRejectLink: true });
    this.rejectTokenHash = notice?.rejectTokenHash;
  }

  /**
   * A notice and its domain event: one activity since `fewer-round-trips-v5` (the event first, so
   * an undeliverable notice does not hold it back), two in parallel in older histories.
   */
  private async noticeWithEvent(kind: NoticeRequest['kind'], to: Audience, event: { type: string; data?: Record<string, unknown> }, extra: NoticeExtra = {}): Promise<NoticeResult | undefined> {
    if (this.fewerRoundTrips) return this.notice(kind, to, '', { ...extra, event });
    const [notice] = await Promise.all([this.notice(kind, to, '', extra), this.event(event.type, event.data)]);
    return notice;
  }

  /** Sends one notice; a notice that cannot be delivered after all retries does not stop the change. */
  private async notice(kind: NoticeRequest['kind'], to: Audience, keySuffix = '', extra: NoticeExtra & Pick<NoticeRequest, 'event'> = {}): Promise<NoticeResult | undefined> {
    const key = `${kind}${keySuffix}-${++this.noticeSeq}`;
    try {
      return await messaging.notify({
        accountId: this.input.accountId,
        requestId: this.input.requestId,
        kind,
        key,
        language: this.snapshot.language,
        smsTo: to.sms,
        email: to.email ? this.snapshot.email : undefined,
        push: to.push,
        params: { requestId: this.input.requestId, newPhoneMasked: maskPhone(this.input.newPhone) },
        at: new Date().toISOString(),
        ...extra,
      });
    } catch (err) {
      log.warn('notice not delivered', { kind, failure: failureFromActivity(err).type });
      return undefined;
    }
  }

  private async event(type: string, data?: Record<string, unknown>): Promise<void> {
    await messaging.publishEvent({ type, key: type, accountId: this.input.accountId, requestId: this.input.requestId, at: new Date().toISOString(), data });
  }

  private setState(state: ChangeState): void {
    this.state = state;
    upsertSearchAttributes([
      { key: searchAttributes.state, value: state },
      { key: searchAttributes.accountId, value: this.input.accountId },
      { key: searchAttributes.requestId, value: this.input.requestId },
    ]);
  }

  private status(): ChangeStatus {
    return {
      accountId: this.input.accountId,
      requestId: this.input.requestId,
      state: this.state,
      auth: this.input.auth,
      startedAt: new Date(this.startedAt).toISOString(),
      deadline: new Date(this.deadline).toISOString(),
      oldPhoneMasked: this.account ? maskPhone(this.account.oldPhone) : undefined,
      newPhoneMasked: maskPhone(this.input.newPhone),
      steps: { old: code.stepStatus(this.codes.old, this.policy), new: code.stepStatus(this.codes.new, this.policy) },
      identity: this.identityRequired ? { confirmed: this.identity.confirmed, attemptsLeft: Math.max(0, this.policy.maxWrongPerCode - this.identity.mismatches) } : undefined,
      frequentChange: this.frequent,
      support: this.supportReason ? { reason: this.supportReason, override: this.override } : undefined,
      completedAt: this.iso(this.completedAt),
      failure: this.failure,
    };
  }

  private get snapshot(): AccountSnapshot {
    if (!this.account) throw new Error('account snapshot used before validation');
    return this.account;
  }

  private iso(t: number | undefined): string | undefined {
    return t === undefined ? undefined : new Date(t).toISOString();
  }
}
