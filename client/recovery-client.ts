/**
 * REC-1, REC-2 for the portal's back-end services and the CLI. It holds no proof key: the e-mail
 * code and the new password (or the temporary one at first login) are sealed together to the
 * worker's public password key, so neither enters workflow history in a form anyone can read or
 * reuse; the worker judges and hashes. Inputs are checked first; refusals come back typed.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sealPassword } from '../activities/adapters/password-seal';
import { InvalidInputError, RequestIdConflictError } from '../workflows/domain/errors';
import { fields, parse } from '../workflows/domain/schemas';
import { TASK_QUEUE, type CodeVerdict } from '../workflows/phone-change.defs';
import {
  enableLoginUpdate,
  passwordResetWorkflowId,
  recoverySchemas,
  recoveryStatusQuery,
  resendResetCodeUpdate,
  resetPasswordUpdate,
  setPasswordUpdate,
  supportRecoveryWorkflowId,
  type EnableLoginRequest,
  type RecoveryStatus,
} from '../workflows/recovery.defs';
import { newRequestId, toTypedError } from './phone-change-client';
import { normalizePhone } from '../workflows/domain/phone';
import { updateIdFor, type UpdateOptions } from './update-ids';

export interface StartOptions {
  /** The caller's request id for this recovery: a retry with it returns the same recovery. */
  requestId?: string;
}

export interface RecoveryClientOptions {
  client: Client;
  taskQueue?: string;
  /** The worker's public password key (32 bytes, X25519): `PASSWORD_PUBLIC_KEY`; without it the calls that carry a password refuse. */
  passwordPublicKey?: Buffer;
}

const typed = async <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (err) {
    throw toTypedError(err);
  }
};

function checkPassword(password: unknown, field = 'password'): string {
  if (typeof password !== 'string' || password.length === 0 || password.length > 512) throw new InvalidInputError(`${field} must be text of 1 to 512 characters`, { field });
  return password;
}

export class RecoveryClient {
  private readonly taskQueue: string;
  constructor(private readonly o: RecoveryClientOptions) {
    this.taskQueue = o.taskQueue ?? TASK_QUEUE;
  }

  /** REC-1: sends a reset code to the account's bound e-mail; an open reset is returned as it is. */
  async startPasswordReset(accountId: string, opts: StartOptions = {}): Promise<RecoveryStatus> {
    return this.startOne('passwordReset', passwordResetWorkflowId(parse(fields.accountId, accountId)), accountId, opts);
  }

  /** REC-1: the code from the e-mail and the new password, sealed together; the verdict says whether the code was right. */
  async resetPassword(accountId: string, code: string, newPassword: string, opts?: UpdateOptions): Promise<CodeVerdict> {
    const handle = this.o.client.workflow.getHandle(passwordResetWorkflowId(parse(fields.accountId, accountId)));
    if (typeof code !== 'string' || !/^\d{6}$/.test(code.trim())) throw new InvalidInputError('code must be 6 digits', { field: 'code' });
    const { requestId } = await typed(() => handle.query(recoveryStatusQuery));
    const password = sealPassword(this.sealKey(), { accountId, requestId, password: checkPassword(newPassword), code: code.trim() });
    return typed(() => handle.executeUpdate(resetPasswordUpdate, { args: [{ password }], ...updateIdFor(resetPasswordUpdate.name, opts) }));
  }

  async resendResetCode(accountId: string, opts?: UpdateOptions): Promise<RecoveryStatus> {
    const handle = this.o.client.workflow.getHandle(passwordResetWorkflowId(parse(fields.accountId, accountId)));
    return typed(() => handle.executeUpdate(resendResetCodeUpdate, updateIdFor(resendResetCodeUpdate.name, opts)));
  }

  async passwordResetStatus(accountId: string): Promise<RecoveryStatus> {
    return typed(() => this.o.client.workflow.getHandle(passwordResetWorkflowId(parse(fields.accountId, accountId))).query(recoveryStatusQuery));
  }

  /** REC-2: opens a support recovery for an account without e-mail; support then enables login. */
  async startSupportRecovery(accountId: string, opts: StartOptions = {}): Promise<RecoveryStatus> {
    return this.startOne('supportRecovery', supportRecoveryWorkflowId(parse(fields.accountId, accountId)), accountId, opts);
  }

  /** REC-2: support's decision with its credential (action `support:recovery`), method, evidence and the citizen's new number. */
  async enableLogin(accountId: string, req: EnableLoginRequest, opts?: UpdateOptions): Promise<RecoveryStatus> {
    const args = parse(recoverySchemas.enableLogin, { ...req, newPhone: normalizePhone(req.newPhone, 'newPhone') });
    return typed(() =>
      this.o.client.workflow.getHandle(supportRecoveryWorkflowId(parse(fields.accountId, accountId))).executeUpdate(enableLoginUpdate, { args: [args], ...updateIdFor(enableLoginUpdate.name, opts) }),
    );
  }

  /** REC-2: the first login replaces the temporary password (both sealed together). */
  async replaceTemporaryPassword(accountId: string, temporaryPassword: string, newPassword: string, opts?: UpdateOptions): Promise<RecoveryStatus> {
    const handle = this.o.client.workflow.getHandle(supportRecoveryWorkflowId(parse(fields.accountId, accountId)));
    const { requestId } = await typed(() => handle.query(recoveryStatusQuery));
    const password = sealPassword(this.sealKey(), { accountId, requestId, password: checkPassword(newPassword), current: checkPassword(temporaryPassword, 'temporaryPassword') });
    return typed(() => handle.executeUpdate(setPasswordUpdate, { args: [{ password }], ...updateIdFor(setPasswordUpdate.name, opts) }));
  }

  async supportRecoveryStatus(accountId: string): Promise<RecoveryStatus> {
    return typed(() => this.o.client.workflow.getHandle(supportRecoveryWorkflowId(parse(fields.accountId, accountId))).query(recoveryStatusQuery));
  }

  /** REC-2: the accounts whose support recovery is open, oldest first, from Temporal's visibility store (the account id is in the workflow id). */
  async openSupportRecoveries(limit = 100): Promise<{ accountId: string; startTime: Date }[]> {
    const out: { accountId: string; startTime: Date }[] = [];
    const prefix = supportRecoveryWorkflowId('');
    for await (const wf of this.o.client.workflow.list({ query: `WorkflowType = 'supportRecovery' AND ExecutionStatus = 'Running'` })) {
      if (wf.workflowId.startsWith(prefix)) out.push({ accountId: wf.workflowId.slice(prefix.length), startTime: wf.startTime });
      if (out.length >= Math.min(Math.max(1, limit), 1000)) break;
    }
    return out.sort((x, y) => x.startTime.getTime() - y.startTime.getTime());
  }

  /** The worker's public password key; a client configured without one refuses before anything is sent. */
  private sealKey(): Buffer {
    if (!this.o.passwordPublicKey) throw new InvalidInputError("no password key: set PASSWORD_PUBLIC_KEY (the worker's public password key)", { field: 'passwordPublicKey' });
    return this.o.passwordPublicKey;
  }

  /**
   * Starts a recovery, or returns the open one. With the caller's request id (PRE-4's idempotency
   * key) a retry gets the same recovery even once it has ended, and an open recovery with another
   * request id is a conflict.
   */
  private async startOne(type: 'passwordReset' | 'supportRecovery', workflowId: string, accountId: string, opts: StartOptions): Promise<RecoveryStatus> {
    const handle = this.o.client.workflow.getHandle(workflowId);
    const requestId = opts.requestId === undefined ? undefined : parse(fields.requestId, opts.requestId);
    const last = requestId ? await handle.query(recoveryStatusQuery).catch(() => undefined) : undefined;
    if (last && last.requestId === requestId) return last;
    try {
      await this.o.client.workflow.start(type, { workflowId, taskQueue: this.taskQueue, args: [{ accountId, requestId: requestId ?? newRequestId() }], workflowIdConflictPolicy: 'FAIL' });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw toTypedError(err);
      if (requestId) {
        const open = await typed(() => handle.query(recoveryStatusQuery));
        if (open.requestId !== requestId) throw new RequestIdConflictError('an open recovery of this account has another request id', { field: 'requestId' });
      }
    }
    // The first answer once the workflow has looked at the account (a query fails until its first task ran).
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const s = await handle.query(recoveryStatusQuery).catch(() => undefined);
      if (s && s.state !== 'validating') return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    return typed(() => handle.query(recoveryStatusQuery));
  }
}
