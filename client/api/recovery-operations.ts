/**
 * REC-1, REC-2 over HTTP: the recovery client's actions (client/recovery-client.ts) as resources
 * under /v1/accounts/:accountId/{password-reset,support-recovery}, with the change operations'
 * rules: a start's request id is its idempotency key, later actions name the recovery by it (409
 * for another), updates take an Idempotency-Key. Passwords arrive in clear over TLS and are sealed
 * here at once to the worker's public password key, like the client library does: the API can
 * seal but never open them, and nothing here logs or echoes a body (README "HTTP API").
 */
import { fromFailureType } from '../../workflows/failures';
import { RequestIdConflictError } from '../../workflows/domain/errors';
import type { RecoveryStatus } from '../../workflows/recovery.defs';
import type { UpdateOptions } from '../update-ids';
import { accountAction, type Operation, type OperationContext } from './operation';
import { accountParams, bodies, responses } from './schemas';

type Kind = 'password-reset' | 'support-recovery';
const base = (kind: Kind) => `/v1/accounts/:accountId/${kind}`;
const statusOf = (c: OperationContext, kind: Kind, accountId: string) => (kind === 'password-reset' ? c.recovery.passwordResetStatus(accountId) : c.recovery.supportRecoveryStatus(accountId));

/** The account's recovery of this kind, if it is the one the caller names. */
async function sameRecovery(c: OperationContext, kind: Kind): Promise<string> {
  const accountId = c.params.accountId!;
  if ((await statusOf(c, kind, accountId)).requestId !== c.body.requestId) throw new RequestIdConflictError("the account's recovery has another request id", { field: 'requestId' });
  return accountId;
}

/** A start the worker refused (no such account, no e-mail) answers as that typed error. */
function refusedAsError(s: RecoveryStatus): RecoveryStatus {
  if (s.state === 'refused' && s.failure) throw fromFailureType(s.failure.type, s.failure.message, { field: 'accountId' }) ?? new Error(s.failure.message);
  return s;
}

function start(kind: Kind, operationId: string, summary: string, errors: number[], act: (c: OperationContext, accountId: string, requestId?: string) => Promise<RecoveryStatus>): Operation {
  return {
    operationId,
    method: 'POST',
    url: base(kind),
    scope: 'changes',
    summary,
    params: accountParams,
    body: bodies.recoveryStart,
    status: 201,
    response: responses.recovery,
    errors,
    run: async (c) => refusedAsError(await act(c, c.params.accountId!, c.body.requestId as string | undefined)),
  };
}

function status(kind: Kind, operationId: string, summary: string): Operation {
  return {
    operationId,
    method: 'GET',
    url: base(kind),
    scope: 'changes',
    summary,
    params: accountParams,
    status: 200,
    response: responses.recovery,
    errors: [404],
    run: (c) => statusOf(c, kind, c.params.accountId!),
  };
}

function action(
  kind: Kind,
  o: Pick<Operation, 'operationId' | 'summary' | 'body' | 'response' | 'errors'> & {
    path: string;
    scope?: Operation['scope'];
    act: (c: OperationContext, accountId: string, key: UpdateOptions) => Promise<unknown>;
  },
): Operation {
  const { path, act, ...rest } = o;
  return accountAction({
    ...rest,
    url: base(kind) + path,
    scope: o.scope ?? 'changes',
    keyed: true,
    run: async (c) => act(c, await sameRecovery(c, kind), { idempotencyKey: c.idempotencyKey }),
  });
}

const str = (c: OperationContext, k: string) => c.body[k] as string;

export const recoveryOperations: Operation[] = [
  start('password-reset', 'startPasswordReset', 'REC-1: send a reset code to the bound e-mail; an open reset with the same request id is returned as it is', [404, 409, 422], (c, id, requestId) =>
    c.recovery.startPasswordReset(id, { requestId }),
  ),
  status('password-reset', 'getPasswordReset', "REC-1: the account's password reset"),
  action('password-reset', {
    operationId: 'resendResetCode',
    path: '/resend',
    summary: 'REC-1: another reset code (OTP-3 rules); 429 with Retry-After inside the cooldown',
    body: bodies.recoveryResend,
    response: responses.recovery,
    errors: [404, 409, 429],
    act: (c, id, key) => c.recovery.resendResetCode(id, key),
  }),
  action('password-reset', {
    operationId: 'confirmPasswordReset',
    path: '/confirm',
    summary: "REC-1: the e-mail's code with the new password (sealed here to the worker's key); 422 for a weak password (no attempt counted)",
    body: bodies.resetConfirm,
    response: responses.codeVerdict,
    errors: [404, 409, 422],
    act: (c, id, key) => c.recovery.resetPassword(id, str(c, 'code'), str(c, 'newPassword'), key),
  }),
  start('support-recovery', 'startSupportRecovery', 'REC-2: the citizen has no e-mail: open a recovery for support', [409], (c, id, requestId) => c.recovery.startSupportRecovery(id, { requestId })),
  status('support-recovery', 'getSupportRecovery', "REC-2: the account's support recovery"),
  action('support-recovery', {
    operationId: 'enableLogin',
    path: '/enable-login',
    scope: 'support',
    summary:
      "REC-2: support enables login after checking documents; `credential` is the operator's for this recovery and action support:recovery (SEC-6); a temporary password goes by SMS to newPhone",
    body: bodies.enableLogin,
    response: responses.recovery,
    errors: [403, 404, 409],
    act: (c, id, key) =>
      c.recovery.enableLogin(id, { credential: str(c, 'credential'), method: c.body.method as never, evidenceRef: str(c, 'evidenceRef'), reason: str(c, 'reason'), newPhone: str(c, 'newPhone') }, key),
  }),
  action('support-recovery', {
    operationId: 'firstLogin',
    path: '/first-login',
    summary: 'REC-2: the first login replaces the temporary password (both sealed here); 422 for a wrong temporary or a weak new password, 429 after five wrong',
    body: bodies.firstLogin,
    response: responses.recovery,
    errors: [404, 409, 422, 429],
    act: (c, id, key) => c.recovery.replaceTemporaryPassword(id, str(c, 'temporaryPassword'), str(c, 'newPassword'), key),
  }),
];
