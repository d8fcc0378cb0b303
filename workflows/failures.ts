/**
 * The one place where named errors become Temporal failures and back, and the FailureInfo kept in
 * status: for workflows and activities alike (ApplicationFailure comes from @temporalio/common,
 * which both may load).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { PhoneChangeError } from './domain/errors';
import type { FailureInfo } from './phone-change.defs';

/** A business error as a non-retryable failure of its own type with its details (which field, what to wait for). */
export function toFailure(err: PhoneChangeError): ApplicationFailure {
  return ApplicationFailure.create({ type: err.name, message: err.message, details: [err.details], nonRetryable: true });
}

export function fromInfo(f: FailureInfo): ApplicationFailure {
  return ApplicationFailure.create({ type: f.type, message: f.message, details: [f.details ?? {}], nonRetryable: true });
}

export function failureInfo(err: PhoneChangeError): FailureInfo {
  return { type: err.name, message: err.message, details: err.details };
}

/** The business failure inside an activity failure, keeping its type and details. */
export function failureFromActivity(err: unknown): FailureInfo {
  let cause: unknown = err;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) {
    return { type: cause.type ?? 'Error', message: cause.message, details: (cause.details?.[0] as Record<string, unknown>) ?? undefined };
  }
  return { type: 'Error', message: err instanceof Error ? err.message : 'unknown failure' };
}
