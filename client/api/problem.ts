/**
 * RFC 9457 problem details for every refusal of the HTTP API: the typed error's name (the same
 * names as the client library's error classes), the field at fault, and `retryAfterMs` with a
 * `Retry-After` header on limits. Never the value a caller sent: that may be personal data.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { PhoneChangeError, type PhoneChangeErrorType } from '../../workflows/domain/errors';

export const PROBLEM_TYPE_BASE = 'urn:phone-change:problem:';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Refusals made by the API itself, before the change is reached. */
export const apiErrorNames = ['Unauthorized', 'Forbidden', 'NotFound', 'MethodNotAllowed', 'PayloadTooLarge', 'UnsupportedMediaType', 'Unavailable', 'InternalError'] as const;
export type ApiErrorName = (typeof apiErrorNames)[number];

/** The HTTP status of each named error of the change (workflows/domain/errors.ts). */
export const statusOf: Record<PhoneChangeErrorType, number> = {
  InvalidInputError: 400,
  AccountNotVerifiedError: 422,
  AccountNotFoundError: 404,
  SameNumberError: 422,
  NumberTakenError: 409,
  ChangeAlreadyOpenError: 409,
  ResendCooldownError: 429,
  CodesExhaustedError: 422,
  WrongStateError: 409,
  ConcurrentModificationError: 409,
  ChangeNotFoundError: 404,
  TwoFactorRequiredError: 422,
  ProfileMismatchError: 422,
  InvalidTokenError: 422,
  RevertWindowClosedError: 422,
  OperatorCredentialError: 403,
  RateLimitedError: 429,
  RequestIdConflictError: 409,
  TestDeliveryOpenError: 409,
  // REC-1, REC-2 (recovery-operations.ts); OperatorApiError (SIG-1, SIG-2) is not reached through /v1.
  WeakPasswordError: 422,
  NoEmailError: 422,
  OperatorApiError: 503,
};

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    /** The typed error's name: a class of workflows/domain/errors.ts or one of apiErrorNames. */
    error: z.string(),
    field: z.string().optional(),
    retryAfterMs: z.number().optional(),
    /** WrongStateError: the state the change is in. OperatorCredentialError: why it was refused. */
    state: z.string().optional(),
    reason: z.string().optional(),
    openRequestId: z.string().optional(),
    scope: z.string().optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details; `error` is the typed error name' });
export type Problem = z.infer<typeof problemSchema>;

/** An API-level refusal with its status. */
export class ApiError extends Error {
  constructor(
    readonly errorName: ApiErrorName,
    readonly status: number,
    message: string,
    readonly extra: { field?: string } = {},
  ) {
    super(message);
  }
}

const pick = (d: Record<string, unknown>, k: string): string | undefined => (typeof d[k] === 'string' ? (d[k] as string).slice(0, 200) : undefined);

export function problemFrom(err: unknown): Problem {
  if (err instanceof PhoneChangeError && err.name in statusOf) {
    const d = err.details;
    const retryAfterMs = typeof d.retryAfterMs === 'number' && Number.isFinite(d.retryAfterMs) ? Math.max(0, Math.round(d.retryAfterMs)) : undefined;
    return strip({
      type: PROBLEM_TYPE_BASE + err.name,
      title: err.name,
      status: statusOf[err.name as PhoneChangeErrorType],
      detail: err.message,
      error: err.name,
      field: err.field,
      retryAfterMs,
      state: pick(d, 'state'),
      reason: pick(d, 'reason'),
      openRequestId: pick(d, 'openRequestId'),
      scope: pick(d, 'scope'),
    });
  }
  if (err instanceof ApiError) return strip({ type: PROBLEM_TYPE_BASE + err.errorName, title: err.errorName, status: err.status, detail: err.message, error: err.errorName, field: err.extra.field });
  return { type: PROBLEM_TYPE_BASE + 'InternalError', title: 'InternalError', status: 500, detail: 'the request could not be completed', error: 'InternalError' };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  if (p.retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(p.retryAfterMs / 1000))));
  return reply.code(p.status).type(PROBLEM_CONTENT_TYPE).send(p);
}

function strip<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
