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
import {
  ACCOUNT_ID_PATTERN,
  authMethods,
  REQUEST_ID_PATTERN,
  resendCodeUpdate,
  searchAttributes,
  startUpdate,
  statusQuery,
  submitCodeUpdate,
  TASK_QUEUE,
  workflowIdFor,
  type AuthMethod,
  type ChangeRef,
  type ChangeStatus,
  type CodeVerdict,
  type PhoneChangeResult,
  type ResendResult,
  type Step,
} from '../workflows/phone-change.defs';
import { ChangeNotFoundError, fromFailureType, InvalidInputError } from '../workflows/domain/errors';
import { normalizePhone } from '../workflows/domain/phone';
import type { Policy } from '../workflows/domain/policy';
import { CODE_PATTERN, hashCode } from '../activities/codes';
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
    if (!REQUEST_ID_PATTERN.test(requestId)) throw new InvalidInputError('requestId must be 6-64 letters, digits, - or _', { field: 'requestId' });
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

  /** "Send again" (OTP-3): refused inside the cooldown with ResendCooldownError. */
  async resend(accountId: string, step: Step): Promise<ResendResult> {
    checkAccountId(accountId);
    checkStep(step);
    return typed(() => this.handle(accountId).executeUpdate(resendCodeUpdate, { args: [{ step }] }));
  }

  async status(accountId: string): Promise<ChangeStatus> {
    checkAccountId(accountId);
    return typed(() => this.handle(accountId).query(statusQuery));
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
