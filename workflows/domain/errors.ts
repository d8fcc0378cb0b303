/**
 * Named errors of the phone change. Each class sets `name`, which is also the Temporal failure type:
 * activities throw them, the workflow rethrows them as `ApplicationFailure`s of that type, and the
 * client turns a failure back into the class (`fromFailureType` in workflows/failures.ts). All are business outcomes, so
 * they are never retried (`nonRetryableErrorTypes`).
 */
export interface ErrorDetails {
  /** The input field at fault, when one is. */
  field?: string;
  [key: string]: unknown;
}

export class PhoneChangeError extends Error {
  constructor(
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
  get field(): string | undefined {
    return this.details.field;
  }
}

/** Malformed or missing input; `field` names it. Nothing was changed. */
export class InvalidInputError extends PhoneChangeError {}
/** PRE-1: the account's identity is not verified. */
export class AccountNotVerifiedError extends PhoneChangeError {}
/** The account does not exist in the contact registry. */
export class AccountNotFoundError extends PhoneChangeError {}
/** PRE-3: the new number is the current one. */
export class SameNumberError extends PhoneChangeError {}
/** PRE-3: the new number is bound to another account. */
export class NumberTakenError extends PhoneChangeError {}
/** PRE-4: another change is open for the account; `details.openRequestId` names it. */
export class ChangeAlreadyOpenError extends PhoneChangeError {}
/** OTP-3: a resend inside the cooldown; `details.retryAfterMs` says when. */
export class ResendCooldownError extends PhoneChangeError {}
/** OTP-3: every code of this step was already sent. */
export class CodesExhaustedError extends PhoneChangeError {}
/** The change is not in a state that accepts this action; `details.state` tells which it is in. */
export class WrongStateError extends PhoneChangeError {}
/** The account record changed under the change (compare-and-set lost). */
export class ConcurrentModificationError extends PhoneChangeError {}
/** No change exists for the account (or it is closed). */
export class ChangeNotFoundError extends PhoneChangeError {}
/** PRE-5, SEC-1: a self-service change needs a two-factor session. */
export class TwoFactorRequiredError extends PhoneChangeError {}
/** PRE-6: the profile is flagged for a data mismatch; fix it first. */
export class ProfileMismatchError extends PhoneChangeError {}
/** A single-use link token that is forged, used already or meant for another change. */
export class InvalidTokenError extends PhoneChangeError {}
/** A support action's credential is forged, expired, malformed or lacks the role; `details.reason` says which. */
export class OperatorCredentialError extends PhoneChangeError {}
/** Too many attempts in the window (SMS pumping, guessing); `details.retryAfterMs` says when to try again. */
export class RateLimitedError extends PhoneChangeError {}
/** PRE-4: the request id is taken by another change, or repeated with another number or session. */
export class RequestIdConflictError extends PhoneChangeError {}
/** AFTER-2: a test delivery is already running for the account. */
export class TestDeliveryOpenError extends PhoneChangeError {}
/** DONE-4: the change is older than the revert window. */
export class RevertWindowClosedError extends PhoneChangeError {}
/** REC-1, REC-2: the new password breaks a strength rule (`details.rule`), or is not sealed for this recovery. */
export class WeakPasswordError extends PhoneChangeError {}
/** REC-1: the account has no bound e-mail to reset by; support can help (REC-2). */
export class NoEmailError extends PhoneChangeError {}
/** SIG-1, SIG-2: the operator's CAMARA API did not answer usefully; `details.kind` is `unavailable` (down, slow, 5xx, 429), `refused` (4xx) or `malformed`. */
export class OperatorApiError extends PhoneChangeError {}

/** Every named error by its name (= its failure type). */
export const errorClasses = {
  InvalidInputError,
  AccountNotVerifiedError,
  AccountNotFoundError,
  SameNumberError,
  NumberTakenError,
  ChangeAlreadyOpenError,
  ResendCooldownError,
  CodesExhaustedError,
  WrongStateError,
  ConcurrentModificationError,
  ChangeNotFoundError,
  TwoFactorRequiredError,
  ProfileMismatchError,
  InvalidTokenError,
  RevertWindowClosedError,
  OperatorCredentialError,
  RateLimitedError,
  RequestIdConflictError,
  TestDeliveryOpenError,
  OperatorApiError,
  WeakPasswordError,
  NoEmailError,
} as const;

export type PhoneChangeErrorType = keyof typeof errorClasses;

/** Failure types that retrying cannot fix. */
export const nonRetryableErrorTypes: PhoneChangeErrorType[] = Object.keys(errorClasses) as PhoneChangeErrorType[];
