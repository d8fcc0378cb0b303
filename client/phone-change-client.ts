/**
 * The typed client for the portal's back-end services: start a change, forward what the citizen
 * types, ask for a resend, read the status and the account history. It holds no key (SEC-5): codes,
 * tokens and identity data go to the workflow inside the encrypted payload and the worker judges
 * them. Every input is checked here first with the workflow's own schemas (typed errors, nothing
 * sent); business refusals come back as the named error classes. Every update takes an optional
 * idempotency key: a retry with the same key reattaches to the first update (update-ids.ts).
 */
import { randomInt } from 'node:crypto';
import { ApplicationFailure, WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { phoneChange } from '../workflows/phone-change';
import type { phoneRevert } from '../workflows/phone-revert';
import type { testDelivery } from '../workflows/test-delivery';
import {
  confirmTestCodeUpdate,
  linkedStatusQuery,
  linkedSyncWorkflowId,
  revertWorkflowId,
  testDeliveryWorkflowId,
  type LinkedSyncStatus,
  type RevertOutcome,
  type TestDeliveryResult,
} from '../workflows/after-change.defs';
import {
  cancelUpdate,
  changeStates,
  confirmIdentityUpdate,
  rejectUpdate,
  reportOldNumberLostUpdate,
  resendCodeUpdate,
  searchAttributes,
  supportOverrideUpdate,
  startUpdate,
  statusQuery,
  submitCodeUpdate,
  submitRecoveryCodeUpdate,
  TASK_QUEUE,
  workflowIdFor,
  type AuthMethod,
  type ChangeRef,
  type ChangeState,
  type ChangeStatus,
  type IdentityVerdict,
  type SupportOverrideRequest,
  type CodeVerdict,
  type PhoneChangeResult,
  type ResendResult,
  type Step,
} from '../workflows/phone-change.defs';
import { ChangeNotFoundError, RateLimitedError, TestDeliveryOpenError } from '../workflows/domain/errors';
import { fromFailureType } from '../workflows/failures';
import { normalizePhone } from '../workflows/domain/phone';
import { fields, parse, schemas } from '../workflows/domain/schemas';
import type { History, StoredHistoryEntry } from '../activities/ports';
import { z } from 'zod';
import { updateIdFor, type UpdateOptions } from './update-ids';

export interface StartChangeRequest {
  accountId: string;
  /** As typed by the citizen; normalised to E.164 here (PRE-2). */
  newPhone: string;
  auth: AuthMethod;
  /** Generated when absent; pass the caller's own to make retries idempotent (PRE-4). */
  requestId?: string;
}

export interface IdentityData {
  fullName: string;
  /** Passport series and number, e.g. "4510 123456". */
  passport: string;
}

export interface PhoneChangeClientOptions {
  client: Client;
  taskQueue?: string;
  /** For `history()`. */
  history?: History;
}

const startArgs = z.strictObject(
  { accountId: fields.accountId, newPhone: z.string('newPhone must be text').max(40, 'newPhone is too long'), auth: fields.auth, requestId: fields.requestId.optional() },
  'a start request is required',
);
const listArgs = z.strictObject({
  state: z.enum(changeStates, 'state must be a change state').default('awaiting_support'),
  limit: z.number('limit must be a number').int('limit must be a whole number').min(1).max(1000).default(100),
});
const historyArgs = z.strictObject({ limit: z.number().int().min(1).max(1000).optional(), beforeSeq: z.number().int().min(1).optional() }, 'history options must be an object').optional();

export class PhoneChangeClient {
  /** The workers' task queue this client's changes run on. */
  readonly taskQueue: string;
  constructor(private readonly o: PhoneChangeClientOptions) {
    this.taskQueue = o.taskQueue ?? TASK_QUEUE;
  }

  /** Starts a change, or returns the open one when `requestId` repeats with the same data (PRE-4). */
  async start(req: StartChangeRequest): Promise<ChangeRef> {
    const { accountId, auth, requestId = newRequestId() } = parse(startArgs, req);
    const newPhone = normalizePhone(req.newPhone, 'newPhone');
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof phoneChange>('phoneChange', {
      workflowId: workflowIdFor(accountId),
      taskQueue: this.taskQueue,
      args: [{ accountId, requestId, newPhone, auth }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: searchAttributes.accountId, value: accountId },
        { key: searchAttributes.requestId, value: requestId },
        { key: searchAttributes.state, value: 'validating' },
      ],
    });
    try {
      return await typed(() => this.o.client.workflow.executeUpdateWithStart(startUpdate, { args: [{ requestId, newPhone, auth }], startWorkflowOperation }));
    } catch (err) {
      // Past the change's budget of starts (handlers.ts) the workflow refuses a repeat only once it
      // found it the same request (other data is a conflict first): a back end's retry is answered
      // with the change as it stands, as every repeat was before the budget.
      if (!(err instanceof RateLimitedError && err.details.scope === 'messagesPerChange')) throw err;
      const status = await typed(() => this.handle(accountId).query(statusQuery));
      if (status.requestId !== requestId) throw err;
      return { accountId, requestId, workflowId: workflowIdFor(accountId), state: status.state };
    }
  }

  /** Forwards a code the citizen typed; the worker judges it. */
  async submitCode(accountId: string, step: Step, code: string, opts?: UpdateOptions): Promise<CodeVerdict> {
    const req = parse(schemas.submitCode, { step, code: typeof code === 'string' ? code.trim() : code });
    return typed(() => this.handle(accountId).executeUpdate(submitCodeUpdate, { args: [req], ...updateIdFor(submitCodeUpdate.name, opts) }));
  }

  /** REC-3: one of the owner's backup recovery codes instead of the old-number code; each works once. */
  async submitRecoveryCode(accountId: string, recoveryCode: string, opts?: UpdateOptions): Promise<CodeVerdict> {
    const req = parse(schemas.recoveryCode, { code: typeof recoveryCode === 'string' ? recoveryCode.trim() : recoveryCode });
    return typed(() => this.handle(accountId).executeUpdate(submitRecoveryCodeUpdate, { args: [req], ...updateIdFor(submitRecoveryCodeUpdate.name, opts) }));
  }

  /** "Send again" (OTP-3): refused inside the cooldown with ResendCooldownError. */
  async resend(accountId: string, step: Step, opts?: UpdateOptions): Promise<ResendResult> {
    const req = parse(schemas.resend, { step });
    return typed(() => this.handle(accountId).executeUpdate(resendCodeUpdate, { args: [req], ...updateIdFor(resendCodeUpdate.name, opts) }));
  }

  /** The change's status; once completed, with the linked services' sync (AFTER-1) while it is known. */
  async status(accountId: string): Promise<ChangeStatus & { linkedServices?: LinkedSyncStatus }> {
    const status = await typed(() => this.handle(accountId).query(statusQuery));
    if (status.state !== 'completed') return status;
    const linkedServices = await this.o.client.workflow
      .getHandle(linkedSyncWorkflowId(accountId, status.requestId))
      .query(linkedStatusQuery)
      .catch(() => undefined);
    return linkedServices ? { ...status, linkedServices } : status;
  }

  /** SEC-2: the link's token and what the citizen typed on its page. */
  async confirmIdentity(accountId: string, req: { token: string } & IdentityData, opts?: UpdateOptions): Promise<IdentityVerdict> {
    const checked = parse(schemas.confirmIdentity, req);
    return typed(() => this.handle(accountId).executeUpdate(confirmIdentityUpdate, { args: [checked], ...updateIdFor(confirmIdentityUpdate.name, opts) }));
  }

  /** LOST-1: the citizen cannot receive codes on the old number. */
  async reportOldNumberLost(accountId: string, opts?: UpdateOptions): Promise<ChangeRef> {
    return typed(() => this.handle(accountId).executeUpdate(reportOldNumberLostUpdate, updateIdFor(reportOldNumberLostUpdate.name, opts)));
  }

  /** LOST-2, FREQ-2: a support operator approves after proving the citizen's identity. */
  async supportOverride(accountId: string, req: SupportOverrideRequest, opts?: UpdateOptions): Promise<ChangeRef> {
    const checked = parse(schemas.override, req);
    return typed(() => this.handle(accountId).executeUpdate(supportOverrideUpdate, { args: [checked], ...updateIdFor(supportOverrideUpdate.name, opts) }));
  }

  /** SEC-3: "this wasn't me", with the token from the notice's link. */
  async rejectByOwner(accountId: string, token: string, opts?: UpdateOptions): Promise<ChangeRef> {
    const req = parse(schemas.reject, { by: 'owner', token });
    return typed(() => this.handle(accountId).executeUpdate(rejectUpdate, { args: [req], ...updateIdFor(rejectUpdate.name, opts) }));
  }

  /** Support rejects a change; `credential` is the operator's credential for this change and action (support:reject). */
  async rejectBySupport(accountId: string, credential: string, reason: string, opts?: UpdateOptions): Promise<ChangeRef> {
    const req = parse(schemas.reject, { by: 'support', credential, reason });
    return typed(() => this.handle(accountId).executeUpdate(rejectUpdate, { args: [req], ...updateIdFor(rejectUpdate.name, opts) }));
  }

  async cancel(accountId: string, reason?: string, opts?: UpdateOptions): Promise<ChangeRef> {
    const req = parse(schemas.cancel, reason === undefined ? {} : { reason });
    return typed(() => this.handle(accountId).executeUpdate(cancelUpdate, { args: [req], ...updateIdFor(cancelUpdate.name, opts) }));
  }

  /** Open changes in a state (default: waiting for support), from Temporal's visibility store; the query is built from typed values only. */
  async list(state: ChangeState = 'awaiting_support', limit = 100): Promise<{ accountId: string; requestId: string; startTime: Date }[]> {
    const args = parse(listArgs, { state, limit });
    const out: { accountId: string; requestId: string; startTime: Date }[] = [];
    const query = `WorkflowType = 'phoneChange' AND ExecutionStatus = 'Running' AND PhoneChangeState = '${args.state}'`;
    for await (const wf of this.o.client.workflow.list({ query })) {
      const accountId = wf.typedSearchAttributes.get(searchAttributes.accountId);
      const requestId = wf.typedSearchAttributes.get(searchAttributes.requestId);
      if (accountId && requestId) out.push({ accountId, requestId, startTime: wf.startTime });
      if (out.length >= args.limit) break;
    }
    return out;
  }

  /** AFTER-1: which linked services have the new number, for the account's completed change. */
  async linkedStatus(accountId: string, requestId?: string): Promise<LinkedSyncStatus> {
    parse(fields.accountId, accountId);
    const id = requestId === undefined ? (await this.status(accountId)).requestId : parse(fields.requestId, requestId);
    return typed(() => this.o.client.workflow.getHandle(linkedSyncWorkflowId(accountId, id)).query(linkedStatusQuery));
  }

  /** DONE-4: support restores the number a change replaced (within the worker's window); typed refusal otherwise. */
  async revert(accountId: string, requestId: string, credential: string, reason: string): Promise<RevertOutcome> {
    const args = parse(schemas.revert, { accountId, requestId, credential, reason });
    const outcome = await typed(() =>
      this.o.client.workflow.execute<typeof phoneRevert>('phoneRevert', {
        workflowId: revertWorkflowId(accountId, requestId),
        taskQueue: this.taskQueue,
        args: [args],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    );
    if (outcome.failure) throw fromFailureType(outcome.failure.type, outcome.failure.message, outcome.failure.details) ?? new Error(outcome.failure.message);
    return outcome;
  }

  /** AFTER-2: sends a test code to the account's current number; one test at a time per account. */
  async startTestDelivery(accountId: string): Promise<{ requestId: string }> {
    const args = parse(schemas.testDelivery, { accountId, requestId: newRequestId() });
    try {
      await typed(() => this.o.client.workflow.start<typeof testDelivery>('testDelivery', { workflowId: testDeliveryWorkflowId(accountId), taskQueue: this.taskQueue, args: [args] }));
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new TestDeliveryOpenError('a test delivery is already running for this account', { field: 'accountId' });
      throw err;
    }
    return { requestId: args.requestId };
  }

  async confirmTestDelivery(accountId: string, code: string, opts?: UpdateOptions): Promise<{ confirmed: boolean; attemptsLeft: number }> {
    parse(fields.accountId, accountId);
    const req = parse(schemas.testCode, { code: typeof code === 'string' ? code.trim() : code });
    return typed(() => this.o.client.workflow.getHandle(testDeliveryWorkflowId(accountId)).executeUpdate(confirmTestCodeUpdate, { args: [req], ...updateIdFor(confirmTestCodeUpdate.name, opts) }));
  }

  async testDeliveryResult(accountId: string): Promise<TestDeliveryResult> {
    parse(fields.accountId, accountId);
    return typed(() => this.o.client.workflow.getHandle<typeof testDelivery>(testDeliveryWorkflowId(accountId)).result());
  }

  /** AFTER-3: the change a citizen's request id names, for support. */
  async findByRequestId(requestId: string): Promise<{ accountId: string; state: string; workflowId: string } | undefined> {
    parse(fields.requestId, requestId);
    for await (const wf of this.o.client.workflow.list({ query: `WorkflowType = 'phoneChange' AND PhoneChangeRequestId = '${requestId}'` })) {
      const accountId = wf.typedSearchAttributes.get(searchAttributes.accountId);
      const state = wf.typedSearchAttributes.get(searchAttributes.state);
      if (accountId) return { accountId, state: state ?? 'unknown', workflowId: wf.workflowId };
    }
    return undefined;
  }

  /** Waits for the change to end and returns its outcome. */
  async result(accountId: string): Promise<PhoneChangeResult> {
    return typed(() => this.handle(accountId).result() as Promise<PhoneChangeResult>);
  }

  /** DONE-3: the account's history, newest first. */
  async history(accountId: string, opts?: { limit?: number; beforeSeq?: number }): Promise<StoredHistoryEntry[]> {
    parse(fields.accountId, accountId);
    const checked = parse(historyArgs, opts);
    if (!this.o.history) throw new Error('this client was built without a history reader');
    return this.o.history.list(accountId, checked);
  }

  /** The change's workflow handle; the account id is checked first, so no caller text reaches an id. */
  handle(accountId: string): WorkflowHandle<typeof phoneChange> {
    parse(fields.accountId, accountId);
    return this.o.client.workflow.getHandle(workflowIdFor(accountId));
  }
}

/** AFTER-3: short enough to read out to support, with no look-alike characters (0/O, 1/I). */
const REQUEST_ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export function newRequestId(): string {
  return Array.from({ length: 10 }, () => REQUEST_ID_ALPHABET[randomInt(REQUEST_ID_ALPHABET.length)]).join('');
}

/** Runs a Temporal call and turns a business failure into its named error class. */
async function typed<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toTypedError(err);
  }
}

export function toTypedError(err: unknown): unknown {
  if (err instanceof WorkflowNotFoundError) return new ChangeNotFoundError('no open change for this account', { field: 'accountId' });
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ApplicationFailure) {
      return fromFailureType(cause.type ?? undefined, cause.message, cause.details?.[0]) ?? err;
    }
  }
  return err;
}
