/**
 * Every operation of the HTTP API: one line of routing and one call of the client library each.
 * The table is the contract: the server registers exactly these routes, the OpenAPI document is
 * generated from them, and the contract test (tests/api/contract.test.ts) derives its cases from
 * the document and checks that every `errors` status listed here is produced.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { PhoneChangeClient, toTypedError } from '../phone-change-client';
import { ChangeNotFoundError, RequestIdConflictError } from '../../workflows/domain/errors';
import { testDeliveryWorkflowId } from '../../workflows/after-change.defs';
import { accountParams, bodies, queries, responses } from './schemas';
import { ApiError } from './problem';
import type { ServiceScope } from './service-auth';
import { accountAction, type Operation, type OperationContext } from './operation';
import type { UpdateOptions } from '../update-ids';
import { recoveryOperations } from './recovery-operations';

/** The account's change, if it is the one the caller names (request ids are the idempotency keys). */
async function sameChange(c: OperationContext): Promise<string> {
  const accountId = c.params.accountId!;
  const status = await c.client.status(accountId);
  if (status.requestId !== c.body.requestId) throw new RequestIdConflictError("the account's change has another request id", { field: 'requestId' });
  return accountId;
}

const b = (c: OperationContext) => c.body as never;

/** An action on the account's open change, named by its request id: POST under /change, 404 without one, 409 for another. */
function changeAction(
  o: Pick<Operation, 'operationId' | 'summary' | 'body' | 'response' | 'keyed'> & {
    errors?: number[];
    path: string;
    scope?: ServiceScope;
    act: (c: OperationContext, accountId: string, key: UpdateOptions) => Promise<unknown>;
  },
): Operation {
  const { path, act, ...rest } = o;
  return accountAction({
    ...rest,
    url: `/v1/accounts/:accountId/change${path}`,
    scope: o.scope ?? 'changes',
    errors: o.errors ?? [404, 409],
    keyed: o.keyed ?? true,
    run: async (c) => act(c, await sameChange(c), { idempotencyKey: c.idempotencyKey }),
  });
}

export type { Operation, OperationContext };

export const operations: Operation[] = [
  {
    operationId: 'startChange',
    method: 'POST',
    url: '/v1/changes',
    scope: 'changes',
    summary: 'Start a change (PRE-1..PRE-4); the same requestId with the same data returns the same change',
    body: bodies.start,
    status: 201,
    response: responses.changeRef,
    errors: [404, 409, 422],
    run: (c) => c.client.start(b(c)),
  },
  {
    operationId: 'getStatus',
    method: 'GET',
    url: '/v1/accounts/:accountId/change',
    scope: 'changes',
    summary: "The account's current or last change, numbers masked",
    params: accountParams,
    status: 200,
    response: responses.status,
    errors: [404],
    run: (c) => c.client.status(c.params.accountId!),
  },
  changeAction({
    operationId: 'confirmIdentity',
    path: '/identity',
    summary: "SEC-2: the identity link's token with the name and passport the citizen typed",
    body: bodies.identity,
    response: responses.identityVerdict,
    act: (c, id, key) => {
      const { token, fullName, passport } = c.body as { token: string; fullName: string; passport: string };
      return c.client.confirmIdentity(id, { token, fullName, passport }, key);
    },
  }),
  changeAction({
    operationId: 'submitCode',
    path: '/code',
    summary: 'A code the citizen typed; the worker judges it',
    body: bodies.code,
    response: responses.codeVerdict,
    act: (c, id, key) => c.client.submitCode(id, c.body.step as never, c.body.code as string, key),
  }),
  changeAction({
    operationId: 'submitRecoveryCode',
    path: '/recovery-code',
    summary: "REC-3: one of the owner's backup recovery codes instead of the old number's code",
    body: bodies.recoveryCode,
    response: responses.codeVerdict,
    act: (c, id, key) => c.client.submitRecoveryCode(id, c.body.code as string, key),
  }),
  changeAction({
    operationId: 'resendCode',
    path: '/resend',
    summary: '"Send again" (OTP-3); 429 with Retry-After inside the cooldown',
    body: bodies.resend,
    response: responses.resend,
    errors: [404, 409, 429],
    act: (c, id, key) => c.client.resend(id, c.body.step as never, key),
  }),
  changeAction({
    operationId: 'reportOldNumberLost',
    path: '/lost',
    summary: 'LOST-1: the citizen cannot receive codes on the old number; the change waits for support',
    body: bodies.lost,
    response: responses.changeRef,
    act: (c, id, key) => c.client.reportOldNumberLost(id, key),
  }),
  changeAction({
    operationId: 'cancelChange',
    path: '/cancel',
    summary: 'The citizen cancels the open change',
    body: bodies.cancel,
    response: responses.changeRef,
    act: (c, id, key) => c.client.cancel(id, c.body.reason as string | undefined, key),
  }),
  changeAction({
    operationId: 'rejectByOwner',
    path: '/not-me',
    summary: 'SEC-3: "this wasn\'t me", with the token from the notice\'s link',
    body: bodies.notMe,
    response: responses.changeRef,
    act: (c, id, key) => c.client.rejectByOwner(id, c.body.token as string, key),
  }),
  {
    operationId: 'getHistory',
    method: 'GET',
    url: '/v1/accounts/:accountId/history',
    scope: 'changes',
    summary: "DONE-3: the account's history, newest first",
    params: accountParams,
    query: queries.history,
    status: 200,
    response: responses.history,
    errors: [],
    run: async (c) => ({ entries: await c.client.history(c.params.accountId!, c.query as { limit?: number; beforeSeq?: number }) }),
  },
  {
    operationId: 'getLinkedServices',
    method: 'GET',
    url: '/v1/accounts/:accountId/linked-services',
    scope: 'changes',
    summary: 'AFTER-1: which linked services have the new number',
    params: accountParams,
    status: 200,
    response: responses.linked,
    errors: [404],
    run: (c) => c.client.linkedStatus(c.params.accountId!),
  },
  {
    operationId: 'startTestDelivery',
    method: 'POST',
    url: '/v1/accounts/:accountId/test-delivery',
    scope: 'changes',
    summary: 'AFTER-2: send a test code to the current number; one at a time per account',
    params: accountParams,
    status: 201,
    response: responses.testStarted,
    errors: [409],
    run: (c) => c.client.startTestDelivery(c.params.accountId!),
  },
  {
    operationId: 'confirmTestDelivery',
    method: 'POST',
    url: '/v1/accounts/:accountId/test-delivery/code',
    scope: 'changes',
    summary: 'AFTER-2: the test code the citizen received',
    params: accountParams,
    body: bodies.testCode,
    status: 200,
    response: responses.testConfirm,
    errors: [404],
    keyed: true,
    run: (c) => c.client.confirmTestDelivery(c.params.accountId!, c.body.code as string, { idempotencyKey: c.idempotencyKey }),
  },
  {
    operationId: 'getTestDelivery',
    method: 'GET',
    url: '/v1/accounts/:accountId/test-delivery',
    scope: 'changes',
    summary: "AFTER-2: the last test delivery's outcome, or running",
    params: accountParams,
    status: 200,
    response: responses.testResult,
    errors: [404],
    run: async (c) => {
      const accountId = c.params.accountId!;
      const handle = c.temporal.workflow.getHandle(testDeliveryWorkflowId(accountId));
      const d = await handle.describe().catch((err: unknown) => {
        throw err instanceof WorkflowNotFoundError ? new ChangeNotFoundError('no test delivery for this account', { field: 'accountId' }) : toTypedError(err);
      });
      if (d.status.name === 'RUNNING') return { state: 'running' };
      return { state: 'finished', ...(await c.client.testDeliveryResult(accountId)) };
    },
  },
  changeAction({
    operationId: 'supportOverride',
    path: '/support/override',
    scope: 'support',
    summary: "LOST-2, FREQ-2: support approves after proving the citizen's identity; `credential` is the operator's, bound to this change and action (SEC-6)",
    body: bodies.override,
    response: responses.changeRef,
    act: (c, id, key) => {
      const { credential, method, evidenceRef, reason } = c.body as never as { credential: string; method: never; evidenceRef: string; reason: string };
      return c.client.supportOverride(id, { credential, method, evidenceRef, reason }, key);
    },
  }),
  changeAction({
    operationId: 'supportReject',
    path: '/support/reject',
    scope: 'support',
    summary: "Support rejects a change with the operator's credential for it (SEC-6)",
    body: bodies.reject,
    response: responses.changeRef,
    act: (c, id, key) => c.client.rejectBySupport(id, c.body.credential as string, c.body.reason as string, key),
  }),
  changeAction({
    operationId: 'supportRevert',
    path: '/support/revert',
    scope: 'support',
    summary: "DONE-4: restore the number a completed change replaced, with the operator's credential for it",
    body: bodies.revert,
    response: responses.revert,
    // A workflow of its own, keyed by the change's request id: a retry reattaches without a key.
    keyed: false,
    act: (c, id) => c.client.revert(id, c.body.requestId as string, c.body.credential as string, c.body.reason as string),
  }),
  {
    operationId: 'supportQueue',
    method: 'GET',
    url: '/v1/support/queue',
    scope: 'support',
    summary: 'Changes waiting for support (lost number, frequent change, SIM swap), oldest first',
    query: queries.queue,
    status: 200,
    response: responses.queue,
    errors: [],
    run: async (c) => ({ changes: await supportQueue(c.client, (c.query.limit as number | undefined) ?? 100) }),
  },
  {
    operationId: 'supportFind',
    method: 'POST',
    url: '/v1/support/find',
    scope: 'support',
    summary: "AFTER-3: the change a citizen's request id names",
    body: bodies.find,
    status: 200,
    response: responses.found,
    errors: [404],
    run: async (c) => {
      const requestId = c.body.requestId as string;
      const found = await c.client.findByRequestId(requestId);
      if (!found) throw new ApiError('NotFound', 404, 'no change with this request id', { field: 'requestId' });
      return { ...found, requestId };
    },
  },
  ...recoveryOperations,
];

const STATUS_WAIT_MS = 2000;

function withinMs<T>(ms: number, p: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The support queue with each change's reason, deadline and masked new number; oldest first. */
export async function supportQueue(client: PhoneChangeClient, limit: number) {
  const waiting = await client.list('awaiting_support', limit);
  const rows = await Promise.all(
    waiting.map(async (w) => {
      // A change whose worker is away does not answer queries: list it without its details rather than hang the queue.
      const st = await withinMs(STATUS_WAIT_MS, client.status(w.accountId)).catch(() => undefined);
      if (st && st.requestId !== w.requestId) return undefined;
      return { accountId: w.accountId, requestId: w.requestId, startedAt: w.startTime.toISOString(), reason: st?.support?.reason, deadline: st?.deadline, newPhoneMasked: st?.newPhoneMasked };
    }),
  );
  return rows.filter((r) => r !== undefined).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
