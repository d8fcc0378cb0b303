/**
 * The typed client for the portal's back-end services: start a change, forward the codes the
 * citizen types, ask for a resend, read the status and the account history. Input is checked here
 * first (typed errors, nothing sent); business refusals come back as the named error classes.
 */
import { randomInt } from 'node:crypto';
import {
  ApplicationFailure,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
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
  ACCOUNT_ID_PATTERN,
  authMethods,
  REQUEST_ID_PATTERN,
  cancelUpdate,
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
  type RejectRequest,
  type SupportOverrideRequest,
  type CodeVerdict,
  type PhoneChangeResult,
  type ResendResult,
  type Step,
} from '../workflows/phone-change.defs';
import { ChangeNotFoundError, fromFailureType, InvalidInputError } from '../workflows/domain/errors';
import { normalizePhone } from '../workflows/domain/phone';
import { defaultPolicy, type Policy } from '../workflows/domain/policy';
import { CODE_PATTERN, hashCode, hashIdentity, hashToken, normalizeRecoveryCode, RECOVERY_CODE_PATTERN, type IdentityData } from '../activities/codes';
import { overrideProblem, rejectProblem } from '../workflows/checks';
import type { History, StoredHistoryEntry } from '../activities/ports';

export interface StartChangeRequest {
  accountId: string;
  /** As typed by the citizen; normalised to E.164 here (PRE-2). */
  newPhone: string;
  auth: AuthMethod;
  /** Generated when absent; pass the caller's own to make retries idempotent (PRE-4). */
  requestId?: string;
  policy?: Partial<Policy>;
}

export interface PhoneChangeClientOptions {
  client: Client;
  /** The same server-side key as the worker's: codes are hashed before they leave this process. */
  codeKey: Buffer;
  taskQueue?: string;
  /** For `history()`. */
  history?: History;
}

export class PhoneChangeClient {
  private readonly taskQueue: string;
  constructor(private readonly o: PhoneChangeClientOptions) {
    this.taskQueue = o.taskQueue ?? TASK_QUEUE;
  }

  /** Starts a change, or returns the open one when `requestId` repeats (PRE-4). */
  async start(req: StartChangeRequest): Promise<ChangeRef> {
    checkAccountId(req.accountId);
    const requestId = req.requestId ?? newRequestId();
    checkRequestId(requestId);
    if (!authMethods.includes(req.auth)) throw new InvalidInputError(`auth must be one of ${authMethods.join(', ')}`, { field: 'auth' });
    const newPhone = normalizePhone(req.newPhone, 'newPhone');
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof phoneChange>('phoneChange', {
      workflowId: workflowIdFor(req.accountId),
      taskQueue: this.taskQueue,
      args: [{ accountId: req.accountId, requestId, newPhone, auth: req.auth, policy: req.policy }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: searchAttributes.accountId, value: req.accountId },
        { key: searchAttributes.requestId, value: requestId },
        { key: searchAttributes.state, value: 'validating' },
      ],
    });
    return typed(() => this.o.client.workflow.executeUpdateWithStart(startUpdate, { args: [{ requestId }], startWorkflowOperation }));
  }

  /** Forwards a code the citizen typed; only its keyed hash reaches Temporal. */
  async submitCode(accountId: string, step: Step, code: string): Promise<CodeVerdict> {
    checkAccountId(accountId);
    checkStep(step);
    if (typeof code !== 'string' || !CODE_PATTERN.test(code.trim())) throw new InvalidInputError('code must be 6 digits', { field: 'code' });
    const codeHash = hashCode(this.o.codeKey, accountId, step, code.trim());
    return typed(() => this.handle(accountId).executeUpdate(submitCodeUpdate, { args: [{ step, codeHash }] }));
  }

  /** REC-3: one of the owner's backup recovery codes instead of the old-number code; each works once. */
  async submitRecoveryCode(accountId: string, recoveryCode: string): Promise<CodeVerdict> {
    checkAccountId(accountId);
    const normalized = typeof recoveryCode === 'string' ? normalizeRecoveryCode(recoveryCode) : '';
    if (!RECOVERY_CODE_PATTERN.test(normalized)) throw new InvalidInputError('recoveryCode must be 8 letters or digits', { field: 'recoveryCode' });
    const codeHash = hashCode(this.o.codeKey, accountId, 'recovery', normalized);
    return typed(() => this.handle(accountId).executeUpdate(submitRecoveryCodeUpdate, { args: [{ codeHash }] }));
  }

  /** "Send again" (OTP-3): refused inside the cooldown with ResendCooldownError. */
  async resend(accountId: string, step: Step): Promise<ResendResult> {
    checkAccountId(accountId);
    checkStep(step);
    return typed(() => this.handle(accountId).executeUpdate(resendCodeUpdate, { args: [{ step }] }));
  }

  /** The change's status; once completed, with the linked services' sync (AFTER-1) while it is known. */
  async status(accountId: string): Promise<ChangeStatus & { linkedServices?: LinkedSyncStatus }> {
    checkAccountId(accountId);
    const status = await typed(() => this.handle(accountId).query(statusQuery));
    if (status.state !== 'completed') return status;
    const linkedServices = await this.o.client.workflow
      .getHandle(linkedSyncWorkflowId(accountId, status.requestId))
      .query(linkedStatusQuery)
      .catch(() => undefined);
    return linkedServices ? { ...status, linkedServices } : status;
  }

  /** SEC-2: what the citizen typed on the identity-check page, with the link's token; only keyed hashes leave this process. */
  async confirmIdentity(accountId: string, req: { token: string } & IdentityData): Promise<IdentityVerdict> {
    checkAccountId(accountId);
    const tokenHash = hashToken(this.o.codeKey, accountId, 'identity', checkToken(req.token));
    const identityHash = hashIdentity(this.o.codeKey, accountId, checkIdentity(req));
    return typed(() => this.handle(accountId).executeUpdate(confirmIdentityUpdate, { args: [{ tokenHash, identityHash }] }));
  }

  /** LOST-1: the citizen cannot receive codes on the old number. */
  async reportOldNumberLost(accountId: string): Promise<ChangeRef> {
    checkAccountId(accountId);
    return typed(() => this.handle(accountId).executeUpdate(reportOldNumberLostUpdate));
  }

  /** LOST-2, FREQ-2: a support operator approves after proving the citizen's identity. */
  async supportOverride(accountId: string, req: SupportOverrideRequest): Promise<ChangeRef> {
    checkAccountId(accountId);
    const problem = overrideProblem(req);
    if (problem) throw problem;
    return typed(() => this.handle(accountId).executeUpdate(supportOverrideUpdate, { args: [req] }));
  }

  /** SEC-3: "this wasn't me", with the token from the notice's link. */
  async rejectByOwner(accountId: string, token: string): Promise<ChangeRef> {
    checkAccountId(accountId);
    const tokenHash = hashToken(this.o.codeKey, accountId, 'reject', checkToken(token));
    return typed(() => this.handle(accountId).executeUpdate(rejectUpdate, { args: [{ by: 'owner', tokenHash }] }));
  }

  /** Support rejects a change; `credential` is the operator's signed credential (role support:reject). */
  async rejectBySupport(accountId: string, credential: string, reason: string): Promise<ChangeRef> {
    checkAccountId(accountId);
    const req: RejectRequest = { by: 'support', credential, reason };
    const problem = rejectProblem(req);
    if (problem) throw problem;
    return typed(() => this.handle(accountId).executeUpdate(rejectUpdate, { args: [req] }));
  }

  async cancel(accountId: string, reason?: string): Promise<ChangeRef> {
    checkAccountId(accountId);
    return typed(() => this.handle(accountId).executeUpdate(cancelUpdate, { args: [{ reason }] }));
  }

  /** Open changes in a state (default: waiting for support), from Temporal's visibility store. */
  async list(state: ChangeState = 'awaiting_support', limit = 100): Promise<{ accountId: string; requestId: string; startTime: Date }[]> {
    const out: { accountId: string; requestId: string; startTime: Date }[] = [];
    const query = `WorkflowType = 'phoneChange' AND ExecutionStatus = 'Running' AND PhoneChangeState = '${state}'`;
    for await (const wf of this.o.client.workflow.list({ query })) {
      const accountId = wf.typedSearchAttributes.get(searchAttributes.accountId);
      const requestId = wf.typedSearchAttributes.get(searchAttributes.requestId);
      if (accountId && requestId) out.push({ accountId, requestId, startTime: wf.startTime });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** AFTER-1: which linked services have the new number, for the account's completed change. */
  async linkedStatus(accountId: string, requestId?: string): Promise<LinkedSyncStatus> {
    checkAccountId(accountId);
    const id = requestId ?? (await this.status(accountId)).requestId;
    return typed(() => this.o.client.workflow.getHandle(linkedSyncWorkflowId(accountId, id)).query(linkedStatusQuery));
  }

  /** DONE-4: support restores the number a change replaced (within the window); typed refusal otherwise. */
  async revert(accountId: string, requestId: string, credential: string, reason: string, windowMs = defaultPolicy.revertWindowMs): Promise<RevertOutcome> {
    checkAccountId(accountId);
    checkRequestId(requestId);
    const problem = rejectProblem({ by: 'support', credential, reason });
    if (problem) throw problem;
    const outcome = await typed(() =>
      this.o.client.workflow.execute<typeof phoneRevert>('phoneRevert', {
        workflowId: revertWorkflowId(accountId, requestId),
        taskQueue: this.taskQueue,
        args: [{ accountId, requestId, credential, reason, windowMs }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    );
    if (outcome.failure) throw fromFailureType(outcome.failure.type, outcome.failure.message, outcome.failure.details) ?? new Error(outcome.failure.message);
    return outcome;
  }

  /** AFTER-2: sends a test code to the account's current number. */
  async startTestDelivery(accountId: string, ttlMs = defaultPolicy.testDeliveryTtlMs): Promise<{ requestId: string }> {
    checkAccountId(accountId);
    const requestId = newRequestId();
    await typed(() =>
      this.o.client.workflow.start<typeof testDelivery>('testDelivery', {
        workflowId: testDeliveryWorkflowId(accountId),
        taskQueue: this.taskQueue,
        args: [{ accountId, requestId, ttlMs }],
      }),
    );
    return { requestId };
  }

  async confirmTestDelivery(accountId: string, code: string): Promise<{ confirmed: boolean }> {
    checkAccountId(accountId);
    if (typeof code !== 'string' || !CODE_PATTERN.test(code.trim())) throw new InvalidInputError('code must be 6 digits', { field: 'code' });
    const codeHash = hashCode(this.o.codeKey, accountId, 'test', code.trim());
    return typed(() => this.o.client.workflow.getHandle(testDeliveryWorkflowId(accountId)).executeUpdate(confirmTestCodeUpdate, { args: [{ codeHash }] }));
  }

  async testDeliveryResult(accountId: string): Promise<TestDeliveryResult> {
    checkAccountId(accountId);
    return typed(() => this.o.client.workflow.getHandle<typeof testDelivery>(testDeliveryWorkflowId(accountId)).result());
  }

  /** AFTER-3: the change a citizen's request id names, for support. */
  async findByRequestId(requestId: string): Promise<{ accountId: string; state: string; workflowId: string } | undefined> {
    checkRequestId(requestId);
    for await (const wf of this.o.client.workflow.list({ query: `WorkflowType = 'phoneChange' AND PhoneChangeRequestId = '${requestId}'` })) {
      const accountId = wf.typedSearchAttributes.get(searchAttributes.accountId);
      const state = wf.typedSearchAttributes.get(searchAttributes.state);
      if (accountId) return { accountId, state: state ?? 'unknown', workflowId: wf.workflowId };
    }
    return undefined;
  }

  /** Waits for the change to end and returns its outcome. */
  async result(accountId: string): Promise<PhoneChangeResult> {
    checkAccountId(accountId);
    return typed(() => this.handle(accountId).result() as Promise<PhoneChangeResult>);
  }

  /** DONE-3: the account's history, newest first. */
  async history(accountId: string, opts?: { limit?: number; beforeSeq?: number }): Promise<StoredHistoryEntry[]> {
    checkAccountId(accountId);
    if (!this.o.history) throw new Error('this client was built without a history reader');
    return this.o.history.list(accountId, opts);
  }

  handle(accountId: string): WorkflowHandle<typeof phoneChange> {
    return this.o.client.workflow.getHandle(workflowIdFor(accountId));
  }
}

/** AFTER-3: short enough to read out to support, with no look-alike characters (0/O, 1/I). */
const REQUEST_ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export function newRequestId(): string {
  return Array.from({ length: 10 }, () => REQUEST_ID_ALPHABET[randomInt(REQUEST_ID_ALPHABET.length)]).join('');
}

function checkAccountId(accountId: unknown): asserts accountId is string {
  if (typeof accountId !== 'string' || !ACCOUNT_ID_PATTERN.test(accountId)) {
    throw new InvalidInputError('accountId must be 1-64 letters, digits, - or _', { field: 'accountId' });
  }
}

function checkRequestId(requestId: unknown): asserts requestId is string {
  if (typeof requestId !== 'string' || !REQUEST_ID_PATTERN.test(requestId)) {
    throw new InvalidInputError('requestId must be 6-64 letters, digits, - or _', { field: 'requestId' });
  }
}

function checkToken(token: unknown): string {
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(token)) throw new InvalidInputError('token must be the one from the link', { field: 'token' });
  return token;
}

function checkIdentity(d: IdentityData): IdentityData {
  if (typeof d.fullName !== 'string' || d.fullName.trim().split(/\s+/).length < 2 || d.fullName.length > 200) {
    throw new InvalidInputError('fullName must be the full name as in the passport', { field: 'fullName' });
  }
  if (typeof d.passport !== 'string' || d.passport.replace(/\D/g, '').length !== 10 || /[^\d\s-]/.test(d.passport)) {
    throw new InvalidInputError('passport must be the series and number, 10 digits (e.g. "4510 123456")', { field: 'passport' });
  }
  return d;
}

function checkStep(step: unknown): asserts step is Step {
  if (step !== 'old' && step !== 'new') throw new InvalidInputError('step must be "old" or "new"', { field: 'step' });
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
