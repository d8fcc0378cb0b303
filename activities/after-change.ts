/**
 * Activities of what follows a change: linked services (AFTER-1), revert (DONE-4), test delivery
 * (AFTER-2) and plain history records of decisions and outcomes (DONE-3).
 */
import type { ActivityDeps } from './index';
import type { Language } from './ports';
import { dedupId } from './context';
import { isDefinite, updateAccount } from './compare-and-set';
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
  at: string;
  attempt: number;
  /** Only these services (a reminder to the laggards); all configured ones when absent. */
  only?: string[];
  /** DONE-4: tell the restored number of a reverted change instead. */
  reverted?: boolean;
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

  /**
   * AFTER-1, DONE-4: tells each linked service the account's number as the registry has it, while
   * `requestId` is the change that set it (or, with `reverted`, the change that was undone);
   * otherwise tells nobody. Returns the services told.
   */
  async function announceToLinkedServices(req: AnnounceLinkedRequest): Promise<string[]> {
    const a = (await registry.getAccount(req.accountId))?.value;
    const wasReverted = a?.revertedRequestId === req.requestId;
    if (!a || (req.reverted ? !wasReverted : a.lastChangeRequestId !== req.requestId || wasReverted)) return [];
    const services = (req.only ?? [...linked.names]).filter((s) => linked.names.includes(s));
    const round = req.reverted ? 'reverted' : String(req.attempt);
    for (const service of services) {
      await linked.notify(service, { accountId: req.accountId, requestId: req.requestId, newPhone: a.phone, at: req.at, attempt: req.attempt, reverted: req.reverted }, dedupId(`linked-${service}-${round}`));
    }
    return services;
  }

  /**
   * DONE-4: restores the number the change replaced, by compare-and-set, when the account still
   * holds that change's number, the window is open and nobody took the old number meanwhile. A
   * retry after a crash finds the revert done and finishes it. As in the commit, the claim on the
   * restored number is given back only on a definite refusal, never after a timeout.
   */
  async function revertPhone(req: RevertRequest): Promise<RevertResult> {
    let claimed: string | undefined;
    let result: RevertResult;
    try {
      result = await updateAccount(registry, req.accountId, async ({ value: a }) => {
        const contacts = { email: a.email, language: a.language };
        if (a.revertedRequestId === req.requestId && a.previousPhone) return { result: { restoredPhone: a.phone, revertedFrom: a.previousPhone, ...contacts } };
        if (a.lastChangeRequestId !== req.requestId || !a.previousPhone) {
          throw new ConcurrentModificationError('the account changed again after this change (or the change never completed): nothing to revert', { field: 'requestId' });
        }
        const changedAt = Date.parse(a.lastPhoneChangeAt ?? '');
        if (!(Date.parse(req.at) - changedAt <= req.windowMs)) {
          throw new RevertWindowClosedError(`the revert window of ${Math.round(req.windowMs / 86_400_000)} days after the change has closed`, { field: 'requestId', changedAt: a.lastPhoneChangeAt });
        }
        const owner = await registry.claimPhone(a.previousPhone, req.accountId);
        if (owner !== req.accountId) throw new NumberTakenError('the previous number is now bound to another account', { field: 'previousPhone' });
        claimed = a.previousPhone;
        const write = { ...a, phone: a.previousPhone, previousPhone: a.phone, phoneConfirmed: true, lastPhoneChangeAt: req.at, revertedRequestId: req.requestId };
        return { write, result: { restoredPhone: a.previousPhone, revertedFrom: a.phone, ...contacts } };
      });
    } catch (err) {
      if (claimed && isDefinite(err)) await registry.releasePhone(claimed, req.accountId);
      throw err;
    }
    await registry.releasePhone(result.revertedFrom, req.accountId);
    return result;
  }

  /** AFTER-2: where a test code goes now. */
  async function loadContacts(accountId: string): Promise<Contacts> {
    const found = await registry.getAccount(accountId);
    if (!found) throw new AccountNotFoundError('no such account', { field: 'accountId' });
    return { phone: found.value.phone, email: found.value.email, language: found.value.language };
  }

  return { recordHistory, announceToLinkedServices, revertPhone, loadContacts, verifyOperator };
}
