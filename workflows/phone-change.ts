/**
 * The phone change (one per account): a state machine that checks the preconditions, proves the
 * old number (OTP-1) and the new number (OTP-2) with codes, binds the new number atomically and
 * tells everyone. States and transitions: phone-change.mmd.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AccountSnapshot, NoticeRequest, PhoneChangeActivities } from '../activities';
import {
  ChangeAlreadyOpenError,
  InvalidInputError,
  nonRetryableErrorTypes,
  PhoneChangeError,
  WrongStateError,
} from './domain/errors';
import { maskPhone } from './domain/mask';
import { policyProblems, resolvePolicy, type Policy } from './domain/policy';
import * as code from './code-step';
import {
  ACCOUNT_ID_PATTERN,
  authMethods,
  CODE_HASH_PATTERN,
  E164_PATTERN,
  REQUEST_ID_PATTERN,
  resendCodeUpdate,
  searchAttributes,
  startUpdate,
  statusQuery,
  steps,
  submitCodeSignal,
  submitCodeUpdate,
  type ChangeRef,
  type ChangeState,
  type ChangeStatus,
  type CodeVerdict,
  type FailureInfo,
  type PhoneChangeInput,
  type PhoneChangeResult,
  type ResendResult,
  type Step,
  type SubmitCodeRequest,
} from './phone-change.defs';

// Registry writes are idempotent (compare-and-set, own-claim detection): retry briskly.
const registry = proxyActivities<PhoneChangeActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes },
});
// Sends are de-duplicated by id, so a retry never reaches the citizen twice; the pace stays gentle
// because a gateway that is down is not helped by hammering it.
const messaging = proxyActivities<PhoneChangeActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30, nonRetryableErrorTypes },
});

export async function phoneChange(input: PhoneChangeInput): Promise<PhoneChangeResult> {
  return new PhoneChange(input).run();
}

type Outcome = 'confirmed' | 'expired' | 'exhausted';

class PhoneChange {
  private state: ChangeState = 'validating';
  private readonly policy: Policy;
  private readonly startedAt = Date.now();
  private readonly deadline: number;
  private account?: AccountSnapshot;
  private readonly codes: Record<Step, code.CodeStep> = { old: code.newCodeStep('old'), new: code.newCodeStep('new') };
  private failure?: FailureInfo;
  private completedAt?: number;
  private noticeSeq = 0;

  constructor(private readonly input: PhoneChangeInput) {
    this.policy = resolvePolicy(input.policy);
    this.deadline = this.startedAt + this.policy.changeTtlMs;
    this.registerHandlers();
  }

  async run(): Promise<PhoneChangeResult> {
    this.setState('validating');
    if (await this.validate()) {
      await this.announceRequested();
      await this.proveAndCommit();
    }
    await condition(allHandlersFinished);
    return {
      requestId: this.input.requestId,
      state: this.state,
      completedAt: this.iso(this.completedAt),
      failure: this.failure,
    };
  }

  /** PRE-1..PRE-3: refuses (nothing sent) when the input or the account does not qualify. */
  private async validate(): Promise<boolean> {
    const problem = inputProblem(this.input);
    if (problem) return this.refuse(failureInfo(problem));
    try {
      this.account = await registry.loadAccount({ accountId: this.input.accountId, newPhone: this.input.newPhone, auth: this.input.auth });
      return true;
    } catch (err) {
      return this.refuse(failureFromActivity(err));
    }
  }

  private async proveAndCommit(): Promise<void> {
    for (const step of steps) {
      this.setState(step === 'old' ? 'awaiting_old_number' : 'awaiting_new_number');
      const outcome = await this.prove(step);
      if (outcome === 'expired') return this.expire();
      if (outcome === 'exhausted') {
        return this.fail({ type: 'AttemptsExhausted', message: `all codes of the ${step}-number step were used up`, details: { step } });
      }
    }
    this.setState('committing');
    const changedAt = Date.now();
    try {
      await registry.bindPhone({ accountId: this.input.accountId, oldPhone: this.snapshot.oldPhone, newPhone: this.input.newPhone, changedAt: new Date(changedAt).toISOString() });
    } catch (err) {
      return this.fail(failureFromActivity(err));
    }
    this.completedAt = changedAt;
    this.setState('completed');
    await this.announceCompleted();
  }

  /** One proof step: send the first code, then wait for a confirmation, exhaustion or the deadline. */
  private async prove(step: Step): Promise<Outcome> {
    const s = this.codes[step];
    try {
      await this.issueCode(step);
    } catch (err) {
      log.warn('first code not sent; the citizen may request another', { step, failure: failureFromActivity(err).type });
    }
    const remaining = this.deadline - Date.now();
    const settled = remaining > 0 && (await condition(() => s.confirmed || code.isExhausted(s, this.policy), remaining));
    if (s.confirmed) return 'confirmed';
    return settled ? 'exhausted' : 'expired';
  }

  private async issueCode(step: Step): Promise<void> {
    const s = this.codes[step];
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
    } finally {
      s.sending = false;
    }
  }

  private registerHandlers(): void {
    setHandler(statusQuery, () => this.status());
    setHandler(startUpdate, async () => this.startAnswer(), {
      validator: ({ requestId }) => {
        // PRE-4: a different request while this one is open is refused with this one's id.
        if (requestId !== this.input.requestId) {
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
      validator: ({ step }: { step: Step }) => {
        this.checkAwaiting(step);
        const refusal = code.resendRefusal(this.codes[step], Date.now(), this.policy);
        if (refusal) throw toFailure(refusal);
      },
    });
  }

  private async startAnswer(): Promise<ChangeRef> {
    await condition(() => this.state !== 'validating');
    if (this.state === 'refused' && this.failure) {
      throw ApplicationFailure.create({ type: this.failure.type, message: this.failure.message, details: [this.failure.details ?? {}], nonRetryable: true });
    }
    return { accountId: this.input.accountId, requestId: this.input.requestId, workflowId: workflowInfo().workflowId, state: this.state };
  }

  private checkSubmission(req: SubmitCodeRequest): void {
    if (typeof req !== 'object' || req === null) throw toFailure(new InvalidInputError('a code submission is required', { field: 'request' }));
    if (typeof req.codeHash !== 'string' || !CODE_HASH_PATTERN.test(req.codeHash)) {
      throw toFailure(new InvalidInputError('codeHash must be 64 lowercase hex digits', { field: 'codeHash' }));
    }
    this.checkAwaiting(req.step);
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
    const verdict: CodeVerdict = {
      outcome,
      attemptsLeft: code.attemptsLeft(s, this.policy),
      codesLeft: code.codesLeft(s, this.policy),
      state: this.state,
    };
    if (s.wrong > wrongBefore) {
      await this.notice('wrong_code', { sms: [], email: false, push: true }, `-${req.step}-${s.seq}-${s.wrong}`);
    }
    return verdict;
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

  /** SEC-3: the old number, the e-mail and push learn of every attempt. */
  private async announceRequested(): Promise<void> {
    await Promise.all([
      this.notice('requested', { sms: [this.snapshot.oldPhone], email: true, push: true }),
      this.event('requested'),
    ]);
  }

  /** DONE-2: the new number, e-mail and push get the completion notice; the old number is told too. */
  private async announceCompleted(): Promise<void> {
    await Promise.all([
      this.notice('completed', { sms: [this.input.newPhone], email: true, push: true }),
      this.notice('completed_old', { sms: [this.snapshot.oldPhone], email: false, push: false }),
      this.event('completed', { newPhone: this.input.newPhone }),
    ]);
  }

  private refuse(failure: FailureInfo): false {
    this.failure = failure;
    this.setState('refused');
    return false;
  }

  private async fail(failure: FailureInfo): Promise<void> {
    this.failure = failure;
    this.setState('failed');
    await Promise.all([
      this.notice('failed', { sms: [this.snapshot.oldPhone], email: true, push: true }),
      this.event('failed', { reason: failure.type }),
    ]);
  }

  /** OTP-5: the change ran out of time; the citizen is told. */
  private async expire(): Promise<void> {
    this.failure = { type: 'ChangeExpired', message: 'the change was not finished in time' };
    this.setState('expired');
    await Promise.all([
      this.notice('expired', { sms: [this.snapshot.oldPhone], email: true, push: true }),
      this.event('expired'),
    ]);
  }

  /** Sends one notice; a notice that cannot be delivered after all retries does not stop the change. */
  private async notice(kind: NoticeRequest['kind'], to: { sms: string[]; email: boolean; push: boolean }, keySuffix = ''): Promise<void> {
    const key = `${kind}${keySuffix}-${++this.noticeSeq}`;
    try {
      await messaging.notify({
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
      });
    } catch (err) {
      log.warn('notice not delivered', { kind, failure: failureFromActivity(err).type });
    }
  }

  private async event(type: string, data?: Record<string, unknown>): Promise<void> {
    await messaging.publishEvent({
      type,
      key: type,
      accountId: this.input.accountId,
      requestId: this.input.requestId,
      at: new Date().toISOString(),
      data,
    });
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

function inputProblem(input: PhoneChangeInput): PhoneChangeError | undefined {
  const bad = (field: string, message: string) => new InvalidInputError(message, { field });
  if (typeof input !== 'object' || input === null) return bad('input', 'input must be an object');
  if (typeof input.accountId !== 'string' || !ACCOUNT_ID_PATTERN.test(input.accountId)) return bad('accountId', 'accountId must be 1-64 letters, digits, - or _');
  if (typeof input.requestId !== 'string' || !REQUEST_ID_PATTERN.test(input.requestId)) return bad('requestId', 'requestId must be 6-64 letters, digits, - or _');
  if (typeof input.newPhone !== 'string' || !E164_PATTERN.test(input.newPhone)) return bad('newPhone', 'newPhone must be in E.164 form, e.g. +79161234567');
  if (!authMethods.includes(input.auth)) return bad('auth', `auth must be one of ${authMethods.join(', ')}`);
  const policy = policyProblems(input.policy);
  if (policy.length > 0) return bad('policy', policy.join('; '));
  return undefined;
}

function toFailure(err: PhoneChangeError): ApplicationFailure {
  return ApplicationFailure.create({ type: err.name, message: err.message, details: [err.details], nonRetryable: true });
}

function failureInfo(err: PhoneChangeError): FailureInfo {
  return { type: err.name, message: err.message, details: err.details };
}

/** The business failure inside an activity failure, keeping its type and details. */
function failureFromActivity(err: unknown): FailureInfo {
  let cause: unknown = err;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) {
    return { type: cause.type ?? 'Error', message: cause.message, details: (cause.details?.[0] as Record<string, unknown>) ?? undefined };
  }
  return { type: 'Error', message: err instanceof Error ? err.message : 'unknown failure' };
}
