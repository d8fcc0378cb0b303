/**
 * Activities of what follows a change: linked services (AFTER-1), revert (DONE-4), test delivery
 * (AFTER-2) and plain history records of decisions and outcomes (DONE-3).
 */
import type { ActivityDeps } from './index';
import type { Language } from './ports';
import { dedupId } from './context';
import { AccountNotFoundError, ConcurrentModificationError, NumberTakenError, OperatorCredentialError, RevertWindowClosedError } from '../workflows/domain/errors';
import type { OperatorRole } from '../workflows/phone-change.defs';
import type { VerifiedOperator } from './operators';

export interface RecordRequest {
  accountId: string;
  requestId: string;
  kind: string;
  key: string;
  text: string;
  at: string;
  actor?: string;
  details?: Record<string, string>;
}

export interface AnnounceLinkedRequest {
  accountId: string;
  requestId: string;
  newPhone: string;
  at: string;
  attempt: number;
  /** Only these services (a reminder to the laggards); all configured ones when absent. */
  only?: string[];
}

export interface RevertRequest {
  accountId: string;
  /** The change being undone. */
  requestId: string;
  windowMs: number;
  at: string;
}

export interface RevertResult {
  restoredPhone: string;
  revertedFrom: string;
  email?: string;
  language: Language;
}

export interface Contacts {
  phone: string;
  email?: string;
  language: Language;
}

export interface VerifyOperatorRequest {
  credential: string;
  role: OperatorRole;
  accountId: string;
  requestId: string;
  /** De-duplication key of the security event recorded on a refusal. */
  key: string;
}

export function createAfterChangeActivities(deps: Pick<ActivityDeps, 'registry' | 'history' | 'linked' | 'operators' | 'events'>) {
  const { registry, history, linked, operators, events } = deps;

  /**
   * SEC-6: verifies a support action's credential against this account, change and action, and
   * spends it (a retry of this activity is the same spend); a refusal is recorded as a security
   * event (history and `phone.change.security`).
   */
  async function verifyOperator(req: VerifyOperatorRequest): Promise<VerifiedOperator> {
    try {
      return await operators.verify(req.credential, { action: req.role, accountId: req.accountId, requestId: req.requestId, spender: dedupId(req.key) });
    } catch (err) {
      if (!(err instanceof OperatorCredentialError)) throw err;
      const at = new Date().toISOString();
      const reason = String(err.details.reason ?? 'refused');
      await history.append(req.accountId, { at, kind: 'security_event', requestId: req.requestId, channels: [], text: `support action (${req.role}) refused: ${err.message}`, details: { role: req.role, reason } }, dedupId(req.key));
      await events.publish({ type: 'security', accountId: req.accountId, requestId: req.requestId, at, role: req.role, reason }, dedupId(`${req.key}-event`));
      throw err;
    }
  }

  /** DONE-3: a decision or outcome that is not a notice (linked services synced, test delivery, ...). */
  async function recordHistory(req: RecordRequest): Promise<void> {
    await history.append(
      req.accountId,
      { at: req.at, kind: req.kind, requestId: req.requestId, channels: [], text: req.text, actor: req.actor, details: req.details },
      dedupId(req.key),
    );
  }

  /** AFTER-1: tells each linked service of the new number; returns the services told. */
  async function announceToLinkedServices(req: AnnounceLinkedRequest): Promise<string[]> {
    const services = req.only ?? [...linked.names];
    for (const service of services) {
      await linked.notify(service, { accountId: req.accountId, requestId: req.requestId, newPhone: req.newPhone, at: req.at, attempt: req.attempt }, dedupId(`linked-${service}-${req.attempt}`));
    }
    return services;
  }

  /**
   * DONE-4: restores the number the change replaced, by compare-and-set, when the account still
   * holds that change's number, the window is open and nobody took the old number meanwhile. A
   * retry after a crash finds the revert done and finishes it.
   */
  async function revertPhone(req: RevertRequest): Promise<RevertResult> {
    const found = await registry.getAccount(req.accountId);
    if (!found) throw new AccountNotFoundError('no such account', { field: 'accountId' });
    const a = found.value;
    if (a.revertedRequestId === req.requestId && a.previousPhone) {
      await registry.releasePhone(a.previousPhone, req.accountId);
      return { restoredPhone: a.phone, revertedFrom: a.previousPhone, email: a.email, language: a.language };
    }
    if (a.lastChangeRequestId !== req.requestId || !a.previousPhone) {
      throw new ConcurrentModificationError('the account changed again after this change (or the change never completed): nothing to revert', { field: 'requestId' });
    }
    const changedAt = Date.parse(a.lastPhoneChangeAt ?? '');
    if (!(Date.parse(req.at) - changedAt <= req.windowMs)) {
      throw new RevertWindowClosedError(`the revert window of ${Math.round(req.windowMs / 86_400_000)} days after the change has closed`, { field: 'requestId', changedAt: a.lastPhoneChangeAt });
    }
    const owner = await registry.claimPhone(a.previousPhone, req.accountId);
    if (owner !== req.accountId) throw new NumberTakenError('the previous number is now bound to another account', { field: 'previousPhone' });
    try {
      await registry.putAccount({ ...a, phone: a.previousPhone, previousPhone: a.phone, phoneConfirmed: true, lastPhoneChangeAt: req.at, revertedRequestId: req.requestId }, found.revision);
    } catch (err) {
      await registry.releasePhone(a.previousPhone, req.accountId);
      throw err;
    }
    await registry.releasePhone(a.phone, req.accountId);
    return { restoredPhone: a.previousPhone, revertedFrom: a.phone, email: a.email, language: a.language };
  }

  /** AFTER-2: where a test code goes now. */
  async function loadContacts(accountId: string): Promise<Contacts> {
    const found = await registry.getAccount(accountId);
    if (!found) throw new AccountNotFoundError('no such account', { field: 'accountId' });
    return { phone: found.value.phone, email: found.value.email, language: found.value.language };
  }

  /** REC-3: spends one backup recovery code (compare-and-set, so a code works once). */
  async function useRecoveryCode(req: { accountId: string; requestId: string; codeHash: string }): Promise<{ accepted: boolean }> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const found = await registry.getAccount(req.accountId);
      if (!found) throw new AccountNotFoundError('no such account', { field: 'accountId' });
      const hashes = found.value.recoveryCodeHashes ?? [];
      if (!hashes.includes(req.codeHash)) return { accepted: false };
      try {
        await registry.putAccount({ ...found.value, recoveryCodeHashes: hashes.filter((h) => h !== req.codeHash) }, found.revision);
      } catch (err) {
        if (err instanceof ConcurrentModificationError) continue;
        throw err;
      }
      await history.append(req.accountId, { at: new Date().toISOString(), kind: 'recovery_code_used', requestId: req.requestId, channels: [], text: `a backup recovery code replaced the old-number code (${hashes.length - 1} left)` }, dedupId('recovery-code'));
      return { accepted: true };
    }
    throw new ConcurrentModificationError('the account kept changing while a recovery code was spent', { field: 'accountId' });
  }

  return { recordHistory, announceToLinkedServices, revertPhone, loadContacts, verifyOperator, useRecoveryCode };
}
