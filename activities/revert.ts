/** DONE-4: undoing a completed change within its window, and AFTER-2: where a test delivery goes. */
import { AccountNotFoundError, ConcurrentModificationError, NumberTakenError, RevertWindowClosedError } from '../workflows/domain/errors';
import { isDefinite, updateAccount } from './compare-and-set';
import type { ActivityDeps, Language } from './ports';

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

export function createRevertActivities(deps: Pick<ActivityDeps, 'registry'>) {
  const { registry } = deps;

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

  return { revertPhone, loadContacts };
}
