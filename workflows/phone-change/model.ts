/**
 * The bottom layer: the state of one change and the only code that writes its search attributes.
 * Phases and handlers above read and change it; nothing here calls an activity.
 */
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AccountSnapshot, Outgoing } from '../../activities';
import type { Policy } from '../domain/policy';
import { maskPhone } from '../domain/mask';
import { WrongStateError } from '../domain/errors';
import { toFailure } from '../failures';
import * as code from '../code-step';
import {
  searchAttributes,
  type ChangeRef,
  type ChangeState,
  type ChangeStatus,
  type FailureInfo,
  type OperatorRef,
  type PhoneChangeInput,
  type Step,
  type SupportOverride,
  type SupportReason,
} from '../phone-change.defs';

/** How a change ended, or undefined while it goes on. */
export type End =
  | { state: 'completed' }
  | { state: 'expired' }
  | { state: 'failed'; failure: FailureInfo }
  | { state: 'rejected'; by: 'owner' | 'support'; operator?: OperatorRef; reason?: string }
  | { state: 'cancelled'; reason?: string };
export type Stop = Extract<End, { state: 'rejected' | 'cancelled' }>;

export interface IdentityCheck {
  /** Links sent so far; only the latest one's token is valid. */
  seq: number;
  sending: boolean;
  /** Mismatches, counting those being judged right now. */
  mismatches: number;
  /** Entries being judged right now. */
  judging: number;
  confirmed: boolean;
}

/**
 * A raw start may carry anything in these fields (SEC-7); the server refuses a keyword that is not
 * a string or is over its 2 KB limit, which would fail the task: such a value is left out (the
 * change is refused by its input checks anyway). 512 characters fit 2 KB in any encoding.
 */
function keyword(key: (typeof searchAttributes)['accountId'], value: unknown) {
  return typeof value === 'string' && value.length <= 512 ? [{ key, value }] : [];
}

export class ChangeModel {
  state: ChangeState = 'validating';
  /**
   * The command shape (README "Changing a workflow"): v7 sends what goes out together in one local
   * activity and binds locally; false while v6 histories replay. Decided once, first thing.
   */
  v7 = false;
  /** v7: what goes out with the change's next send (the request notice). */
  readonly carry: Outgoing[] = [];
  /** v7: retries of carried items, awaited before the change ends. */
  readonly background: Promise<unknown>[] = [];
  /** v7: the change's one deadline timer, and whether it fired (OTP-5). */
  deadlineTimer?: Promise<void>;
  expired = false;
  readonly startedAt = Date.now();
  /** SEC-7: from the worker's configuration, loaded first. */
  policy?: Policy;
  account?: AccountSnapshot;
  readonly codes: Record<Step, code.CodeStep> = { old: code.newCodeStep('old'), new: code.newCodeStep('new') };
  readonly identity: IdentityCheck = { seq: 0, sending: false, mismatches: 0, judging: 0, confirmed: false };
  /**
   * v8 (review): an entry that takes the last attempt is judged before the step counts as used up;
   * before, its reservation alone ended the wait, and a right code or right identity data on the
   * last attempt failed the change. Set by `patched('judged-exhaustion-v8')` the first time an
   * entry takes a last attempt, so only those changes carry its marker.
   */
  judgeLastAttempt = false;
  identityRequired = false;
  frequent = false;
  oldNumberLost = false;
  supportReason?: SupportReason;
  override?: SupportOverride;
  /** SEC-3: the request notice with the "not me" link was handed to the gateway (or is being). */
  rejectLinkIssued = false;
  /** REC-3: wrong recovery codes, counting those being judged right now. */
  recoveryWrong = 0;
  stop?: Stop;
  failure?: FailureInfo;
  completedAt?: number;
  noticeSeq = 0;
  /** Messages taken into history so far, by budget (hole 14: history growth; handlers.ts). */
  readonly messages = { citizen: 0, start: 0, support: 0 };
  /** Workflow time until which code entries are refused (too many wrong entries on the account). */
  blockedUntil = 0;

  constructor(readonly input: PhoneChangeInput) {}

  get rules(): Policy {
    if (!this.policy) throw new Error('policy used before it was loaded');
    return this.policy;
  }

  get snapshot(): AccountSnapshot {
    if (!this.account) throw new Error('account snapshot used before validation');
    return this.account;
  }

  get deadline(): number | undefined {
    return this.policy ? this.startedAt + this.policy.changeTtlMs : undefined;
  }

  get identityAttemptsLeft(): number {
    return Math.max(0, this.rules.maxWrongPerCode - this.identity.mismatches);
  }

  /** The attempts are used up for good: none left, and (since v8) none still being judged. */
  usedUp(noneLeft: boolean, judging: number): boolean {
    return noneLeft && !(this.judgeLastAttempt && judging > 0);
  }

  nextKey(prefix: string): string {
    return `${prefix}-${++this.noticeSeq}`;
  }

  setState(state: ChangeState): void {
    this.state = state;
    // v7: `committing` lasts one workflow task (the binding is local): not worth a history event.
    if (this.v7 && state === 'committing') return;
    upsertSearchAttributes([{ key: searchAttributes.state, value: state }, ...keyword(searchAttributes.accountId, this.input.accountId), ...keyword(searchAttributes.requestId, this.input.requestId)]);
  }

  checkState(allowed: readonly ChangeState[], action: string): void {
    if (!allowed.includes(this.state)) {
      throw toFailure(new WrongStateError(`the change is ${this.state}; it cannot ${action} now`, { state: this.state }));
    }
  }

  ref(): ChangeRef {
    return { accountId: this.input.accountId, requestId: this.input.requestId, workflowId: workflowInfo().workflowId, state: this.state };
  }

  status(): ChangeStatus {
    const p = this.policy;
    return {
      accountId: this.input.accountId,
      requestId: this.input.requestId,
      state: this.state,
      auth: this.input.auth,
      startedAt: iso(this.startedAt)!,
      deadline: iso(this.deadline),
      oldPhoneMasked: this.account ? maskPhone(this.account.oldPhone) : undefined,
      newPhoneMasked: maskPhone(this.input.newPhone),
      steps: p ? { old: code.stepStatus(this.codes.old, p), new: code.stepStatus(this.codes.new, p) } : undefined,
      identity: this.identityRequired ? { confirmed: this.identity.confirmed, attemptsLeft: this.identityAttemptsLeft } : undefined,
      frequentChange: this.frequent,
      support: this.supportReason ? { reason: this.supportReason, override: this.override } : undefined,
      completedAt: iso(this.completedAt),
      failure: this.failure,
    };
  }
}

export function iso(t: number | undefined): string | undefined {
  return t === undefined ? undefined : new Date(t).toISOString();
}
