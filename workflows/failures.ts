/**
 * The one place where named errors become Temporal failures and back, and the FailureInfo kept in
 * status: for workflows and activities alike (ApplicationFailure comes from @temporalio/common,
 * which both may load).
 */
import { ApplicationFailure } from '@temporalio/common';
import { errorClasses, InvalidInputError, PhoneChangeError, type ErrorDetails, type PhoneChangeErrorType } from './domain/errors';
import { parse } from './domain/schemas';
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

/**
 * Parses an update's input, or refuses the update with the InvalidInputError naming the field.
 * `extra`: the arguments after the first, which no update takes: unread, they would still enter
 * history with the update (a raw caller's few megabytes each, up to the server's history limit).
 */
export function parseOrRefuse(schema: Parameters<typeof parse>[0], value: unknown, ...extra: unknown[]): void {
  refuseExtraArguments(extra);
  try {
    parse(schema, value);
  } catch (err) {
    throw toFailure(err as InvalidInputError);
  }
}

/** Refuses an update given arguments after its first (see parseOrRefuse). */
export function refuseExtraArguments(extra: unknown[]): void {
  if (extra.length > 0) throw toFailure(new InvalidInputError('an update takes a single argument', { field: 'request' }));
}

/** The business failure in an error: a named error thrown here, or the one inside an activity failure, keeping its type and details. */
export function failureFromActivity(err: unknown): FailureInfo {
  if (err instanceof PhoneChangeError) return failureInfo(err);
  let cause: unknown = err;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) {
    return { type: cause.type ?? 'Error', message: cause.message, details: (cause.details?.[0] as Record<string, unknown>) ?? undefined };
  }
  return { type: 'Error', message: err instanceof Error ? err.message : 'unknown failure' };
}

/** Rebuilds the named error from a failure type and details (the client's side); undefined for foreign types. */
export function fromFailureType(type: string | undefined, message: string, details?: unknown): PhoneChangeError | undefined {
  if (!type || !(type in errorClasses)) return undefined;
  const Cls = errorClasses[type as PhoneChangeErrorType];
  return new Cls(message, (details ?? {}) as ErrorDetails);
}
