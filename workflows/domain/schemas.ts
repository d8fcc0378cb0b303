/**
 * Every field of every entry point with its type, length and range (SEC-7, hole 14), shared by the
 * client (checked before anything is sent) and the workflow (checked again in update validators,
 * since any Temporal caller can skip the client). Pure: safe in the workflow bundle.
 */
import { z } from 'zod';
import { InvalidInputError } from './errors';

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{6,64}$/;
export const E164_PATTERN = /^\+[1-9]\d{7,14}$/;

export const authMethods = ['two_factor', 'password_only', 'e_signature', 'service_centre'] as const;
export const overrideMethods = ['service_centre_passport', 'video_verification', 'qualified_e_signature', 'bound_email', 'registry_snils_inn', 'written_request'] as const;

// The length is checked before trimming: the handlers keep what was sent, so padding must count.
const text = (max: number, what: string) => z.string(`${what} must be text`).max(max, `${what} must be at most ${max} characters`).trim().min(1, `${what} is required`);

export const fields = {
  accountId: z.string('accountId must be text').regex(ACCOUNT_ID_PATTERN, 'accountId must be 1-64 letters, digits, - or _'),
  requestId: z.string('requestId must be text').regex(REQUEST_ID_PATTERN, 'requestId must be 6-64 letters, digits, - or _'),
  newPhone: z.string('newPhone must be text').regex(E164_PATTERN, 'newPhone must be in E.164 form, e.g. +79161234567'),
  auth: z.enum(authMethods, `auth must be one of ${authMethods.join(', ')}`),
  step: z.enum(['old', 'new'], 'step must be "old" or "new"'),
  code: z.string('code must be text').regex(/^\d{6}$/, 'code must be 6 digits'),
  token: z.string('token must be text').regex(/^[A-Za-z0-9_-]{16,64}$/, 'token must be the one from the link'),
  fullName: z
    .string('fullName must be text')
    .max(200, 'fullName must be at most 200 characters')
    .refine((v) => v.trim().split(/\s+/).length >= 2, 'fullName must be the full name as in the passport'),
  passport: z
    .string('passport must be text')
    .max(20, 'passport must be the series and number, 10 digits (e.g. "4510 123456")')
    .refine((v) => v.replace(/\D/g, '').length === 10 && !/[^\d\s-]/.test(v), 'passport must be the series and number, 10 digits (e.g. "4510 123456")'),
  recoveryCode: z
    .string('recoveryCode must be text')
    .max(16)
    .regex(/^[A-Za-z0-9]{4}[\s-]?[A-Za-z0-9]{4}$/, 'recoveryCode must be 8 letters or digits'),
  credential: z
    .string("the operator's signed credential is required")
    .min(1, "the operator's signed credential is required")
    .max(8192, 'credential is too long')
    .regex(/^[\w-]+\.[\w-]+\.[\w-]+$/, "the operator's credential must be a signed JWT"),
  method: z.enum(overrideMethods, `method must be one of ${overrideMethods.join(', ')}`),
  evidenceRef: text(200, 'evidenceRef (a reference to the identity evidence)'),
  reason: text(500, 'reason'),
};

export const schemas = {
  input: z.strictObject({ accountId: fields.accountId, requestId: fields.requestId, newPhone: fields.newPhone, auth: fields.auth }, 'input must be an object'),
  start: z.strictObject({ requestId: fields.requestId, newPhone: fields.newPhone, auth: fields.auth }, 'a start request is required'),
  submitCode: z.strictObject({ step: fields.step, code: fields.code }, 'a code submission is required'),
  resend: z.strictObject({ step: fields.step }, 'a resend request is required'),
  confirmIdentity: z.strictObject({ token: fields.token, fullName: fields.fullName, passport: fields.passport }, 'an identity confirmation is required'),
  recoveryCode: z.strictObject({ code: fields.recoveryCode }, 'a recovery code is required'),
  override: z.strictObject({ credential: fields.credential, method: fields.method, evidenceRef: fields.evidenceRef, reason: fields.reason }, 'an override request is required'),
  reject: z.discriminatedUnion(
    'by',
    [z.strictObject({ by: z.literal('owner'), token: fields.token }), z.strictObject({ by: z.literal('support'), credential: fields.credential, reason: fields.reason })],
    { error: 'by must be "owner" or "support"' },
  ),
  cancel: z.strictObject({ reason: fields.reason.optional() }, 'a cancel request is required'),
  testCode: z.strictObject({ code: fields.code }, 'a test code is required'),
  revert: z.strictObject({ accountId: fields.accountId, requestId: fields.requestId, credential: fields.credential, reason: fields.reason }, 'a revert request is required'),
  testDelivery: z.strictObject({ accountId: fields.accountId, requestId: fields.requestId }, 'a test delivery request is required'),
  linkedSync: z.strictObject({ accountId: fields.accountId, requestId: fields.requestId }, 'a linked-service sync request is required'),
  noArgs: z.union([z.undefined(), z.strictObject({})], { error: 'this message takes no arguments' }),
} as const;

/** Parses or throws InvalidInputError naming the first field at fault (never the value). */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'request';
  const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}` : issue.message;
  throw new InvalidInputError(message, { field: issue.code === 'unrecognized_keys' ? (issue.keys[0]?.slice(0, 40) ?? field) : field });
}
