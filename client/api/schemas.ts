/**
 * The HTTP API's request and response shapes, built from the workflow's own field schemas
 * (workflows/domain/schemas.ts): the same type, length and range at the edge as in the workflow.
 * The OpenAPI document is generated from these (fastify-type-provider-zod), so it cannot drift.
 */
import { z } from 'zod';
import { fields, schemas } from '../../workflows/domain/schemas';
import { changeStates } from '../../workflows/phone-change.defs';
import { recoverySchemas, recoveryStates } from '../../workflows/recovery.defs';

export const accountParams = z.strictObject({ accountId: fields.accountId });
export const requestIdParams = z.strictObject({ requestId: fields.requestId });
/** Every action on an open change names it: a retry after the change moved on acts on nothing else. */
const onChange = <T extends z.core.$ZodLooseShape>(shape: T, what: string) => z.strictObject({ requestId: fields.requestId, ...shape }, `${what} is required`);

const typedPhone = z
  .string('newPhone must be text')
  .min(1, 'newPhone is required')
  .max(40, 'newPhone is too long')
  .meta({ description: 'as typed by the citizen; normalised to E.164', example: '+7 916 555-01-02' });
/** REC-1, REC-2: a password in clear over TLS to the API only, sealed there to the worker's key (client/recovery-client.ts); never logged or echoed. */
const password = (name: string) =>
  z
    .string(`${name} must be text`)
    .min(1, `${name} is required`)
    .max(512, `${name} is too long`)
    .meta({ format: 'password', description: "sealed by the API to the worker's password key at once; never stored, logged or echoed" });
const onRecovery = <T extends z.core.$ZodLooseShape>(shape: T, what: string) =>
  z.strictObject({ requestId: fields.requestId.meta({ description: "the recovery's request id" }), ...shape }, `${what} is required`);
/** Support's decision as the workflow takes it, but the new number as typed (the client normalises it, as for a start). */
const enableLoginShape = recoverySchemas.enableLogin.omit({ newPhone: true }).shape;

export const bodies = {
  start: z.strictObject(
    {
      accountId: fields.accountId,
      newPhone: typedPhone,
      auth: fields.auth,
      requestId: fields.requestId.optional().meta({ description: 'idempotency key (PRE-4): repeat it to get the same change; generated when absent' }),
    },
    'a start request is required',
  ),
  identity: onChange(schemas.confirmIdentity.shape, 'an identity confirmation'),
  code: onChange(schemas.submitCode.shape, 'a code submission'),
  recoveryCode: onChange(schemas.recoveryCode.shape, 'a recovery code'),
  resend: onChange(schemas.resend.shape, 'a resend request'),
  lost: onChange({}, 'the change'),
  cancel: onChange(schemas.cancel.shape, 'the change'),
  notMe: onChange({ token: fields.token }, 'the link token'),
  override: onChange(schemas.override.shape, 'an override request'),
  reject: onChange({ credential: fields.credential, reason: fields.reason }, 'a rejection'),
  revert: onChange({ credential: fields.credential, reason: fields.reason }, 'a revert request'),
  testCode: schemas.testCode,
  find: z.strictObject({ requestId: fields.requestId }, 'a request id is required'),
  recoveryStart: z.strictObject(
    { requestId: fields.requestId.optional().meta({ description: 'idempotency key: repeat it to get the same recovery; generated when absent' }) },
    'a recovery request is required',
  ),
  recoveryResend: onRecovery({}, 'the recovery'),
  resetConfirm: onRecovery({ code: fields.code, newPassword: password('newPassword') }, 'the code and the new password'),
  enableLogin: onRecovery({ ...enableLoginShape, newPhone: typedPhone }, "support's decision"),
  firstLogin: onRecovery({ temporaryPassword: password('temporaryPassword'), newPassword: password('newPassword') }, 'the temporary and the new password'),
};

const toInt = (name: string, min: number, max: number) =>
  z
    .string(`${name} must be a number`)
    .regex(/^\d{1,7}$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

export const queries = {
  history: z.strictObject({ limit: toInt('limit', 1, 1000).optional(), beforeSeq: toInt('beforeSeq', 1, 1e7).optional() }),
  queue: z.strictObject({ limit: toInt('limit', 1, 1000).optional() }),
};

const state = z.enum(changeStates);
const time = z.string().meta({ format: 'date-time' });

export const responses = {
  changeRef: z.looseObject({ accountId: z.string(), requestId: z.string(), workflowId: z.string(), state }).meta({ id: 'ChangeRef' }),
  codeVerdict: z.looseObject({ outcome: z.string(), attemptsLeft: z.number(), codesLeft: z.number(), state }).meta({ id: 'CodeVerdict' }),
  identityVerdict: z.looseObject({ outcome: z.string(), attemptsLeft: z.number(), state }).meta({ id: 'IdentityVerdict' }),
  resend: z.looseObject({ step: fields.step, codesLeft: z.number(), codeExpiresAt: time, nextResendAt: time }).meta({ id: 'ResendResult' }),
  status: z
    .looseObject({
      accountId: z.string(),
      requestId: z.string(),
      state,
      auth: fields.auth,
      startedAt: time,
      deadline: time.optional(),
      oldPhoneMasked: z.string().optional(),
      newPhoneMasked: z.string(),
      frequentChange: z.boolean(),
      support: z.looseObject({ reason: z.string() }).optional(),
      completedAt: time.optional(),
    })
    .meta({ id: 'ChangeStatus', description: 'numbers are masked' }),
  history: z
    .object({ entries: z.array(z.looseObject({ seq: z.number().int(), at: time, kind: z.string(), requestId: z.string(), text: z.string(), channels: z.array(z.string()) })) })
    .meta({ id: 'AccountHistory' }),
  linked: z.looseObject({ state: z.string(), services: z.array(z.looseObject({ name: z.string() })), pending: z.array(z.string()), reminders: z.number() }).meta({ id: 'LinkedSyncStatus' }),
  revert: z.looseObject({ state: z.literal('reverted') }).meta({ id: 'RevertOutcome' }),
  testStarted: z.object({ requestId: z.string() }).meta({ id: 'TestDeliveryStarted' }),
  testConfirm: z.object({ confirmed: z.boolean(), attemptsLeft: z.number() }).meta({ id: 'TestDeliveryVerdict' }),
  testResult: z.looseObject({ state: z.enum(['running', 'finished']), confirmed: z.boolean().optional(), phoneMasked: z.string().optional() }).meta({ id: 'TestDeliveryResult' }),
  queue: z
    .object({
      changes: z.array(z.object({ accountId: z.string(), requestId: z.string(), startedAt: time, reason: z.string().optional(), deadline: time.optional(), newPhoneMasked: z.string().optional() })),
    })
    .meta({ id: 'SupportQueue', description: 'changes waiting for support, oldest first' }),
  recovery: z
    .looseObject({
      accountId: z.string(),
      requestId: z.string(),
      kind: z.enum(['email_reset', 'support']),
      state: z.enum(recoveryStates),
      codesLeft: z.number().optional(),
      attemptsLeft: z.number().optional(),
      codeExpiresAt: time.optional(),
      temporaryExpiresAt: time.optional(),
      operator: z.looseObject({ id: z.string(), name: z.string().optional() }).optional(),
      failure: z.looseObject({ type: z.string(), message: z.string() }).optional(),
    })
    .meta({ id: 'RecoveryStatus', description: 'REC-1, REC-2: an access recovery' }),
  found: z.object({ accountId: z.string(), requestId: z.string(), state: z.string(), workflowId: z.string() }).meta({ id: 'FoundChange' }),
};
