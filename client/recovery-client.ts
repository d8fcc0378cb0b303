/**
 * REC-1, REC-2 for the portal's back-end services and the CLI. It holds no proof key: the e-mail
 * code and the new password (or the temporary one at first login) are sealed together to the
 * worker's public password key, so neither enters workflow history in a form anyone can read or
 * reuse; the worker judges and hashes. Inputs are checked first; refusals come back typed.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sealPassword } from '../activities/adapters/password-seal';
import { InvalidInputError } from '../workflows/domain/errors';
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
  async startPasswordReset(accountId: string): Promise<RecoveryStatus> {
    return this.startOne('passwordReset', passwordResetWorkflowId(parse(fields.accountId, accountId)), accountId);
  }

  /** REC-1: the code from the e-mail and the new password, sealed together; the verdict says whether the code was right. */
  async resetPassword(accountId: string, code: string, newPassword: string): Promise<CodeVerdict> {
    const handle = this.o.client.workflow.getHandle(passwordResetWorkflowId(parse(fields.accountId, accountId)));
    if (typeof code !== 'string' || !/^\d{6}$/.test(code.trim())) throw new InvalidInputError('code must be 6 digits', { field: 'code' });
    const { requestId } = await typed(() => handle.query(recoveryStatusQuery));
    const password = sealPassword(this.sealKey(), { accountId, requestId, password: checkPassword(newPassword), code: code.trim() });
    return typed(() => handle.executeUpdate(resetPasswordUpdate, { args: [{ password }] }));
  }

  async resendResetCode(accountId: string): Promise<RecoveryStatus> {
    return typed(() => this.o.client.workflow.getHandle(passwordResetWorkflowId(parse(fields.accountId, accountId))).executeUpdate(resendResetCodeUpdate));
  }

  async passwordResetStatus(accountId: string): Promise<RecoveryStatus> {
    return typed(() => this.o.client.workflow.getHandle(passwordResetWorkflowId(parse(fields.accountId, accountId))).query(recoveryStatusQuery));
  }

  /** REC-2: opens a support recovery for an account without e-mail; support then enables login. */
  async startSupportRecovery(accountId: string): Promise<RecoveryStatus> {
    return this.startOne('supportRecovery', supportRecoveryWorkflowId(parse(fields.accountId, accountId)), accountId);
  }

  /** REC-2: support's decision with its credential (action `support:recovery`), method, evidence and the citizen's new number. */
  async enableLogin(accountId: string, req: EnableLoginRequest): Promise<RecoveryStatus> {
    const args = parse(recoverySchemas.enableLogin, { ...req, newPhone: normalizePhone(req.newPhone, 'newPhone') });
    return typed(() => this.o.client.workflow.getHandle(supportRecoveryWorkflowId(parse(fields.accountId, accountId))).executeUpdate(enableLoginUpdate, { args: [args] }));
  }

  /** REC-2: the first login replaces the temporary password (both sealed together). */
  async replaceTemporaryPassword(accountId: string, temporaryPassword: string, newPassword: string): Promise<RecoveryStatus> {
    const handle = this.o.client.workflow.getHandle(supportRecoveryWorkflowId(parse(fields.accountId, accountId)));
    const { requestId } = await typed(() => handle.query(recoveryStatusQuery));
    const password = sealPassword(this.sealKey(), { accountId, requestId, password: checkPassword(newPassword), current: checkPassword(temporaryPassword, 'temporaryPassword') });
    return typed(() => handle.executeUpdate(setPasswordUpdate, { args: [{ password }] }));
  }

  async supportRecoveryStatus(accountId: string): Promise<RecoveryStatus> {
    return typed(() => this.o.client.workflow.getHandle(supportRecoveryWorkflowId(parse(fields.accountId, accountId))).query(recoveryStatusQuery));
  }

  /** The worker's public password key; a client configured without one refuses before anything is sent. */
  private sealKey(): Buffer {
    if (!this.o.passwordPublicKey) throw new InvalidInputError("no password key: set PASSWORD_PUBLIC_KEY (the worker's public password key)", { field: 'passwordPublicKey' });
    return this.o.passwordPublicKey;
  }

  private async startOne(type: 'passwordReset' | 'supportRecovery', workflowId: string, accountId: string): Promise<RecoveryStatus> {
    const handle = this.o.client.workflow.getHandle(workflowId);
    try {
      await this.o.client.workflow.start(type, { workflowId, taskQueue: this.taskQueue, args: [{ accountId, requestId: newRequestId() }], workflowIdConflictPolicy: 'FAIL' });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw toTypedError(err);
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
