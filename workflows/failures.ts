/** Conversions between named errors, Temporal failures and the FailureInfo kept in status. */
import { ApplicationFailure } from '@temporalio/workflow';
import type { PhoneChangeError } from './domain/errors';
import type { FailureInfo } from './phone-change.defs';

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
