/** The account and its number: the preconditions of a change (PRE-1..PRE-4) and the binding (DONE-1). */
import {
  AccountNotFoundError,
  AccountNotVerifiedError,
  ConcurrentModificationError,
  NumberTakenError,
  ProfileMismatchError,
  RequestIdConflictError,
  SameNumberError,
} from '../workflows/domain/errors';
import type { AuthMethod } from '../workflows/phone-change.defs';
import { currentRun, dedupId } from './context';
import { isDefinite, updateAccount } from './compare-and-set';
import { admitter, numberKey } from './limits';
import type { Account, ActivityDeps, ContactRegistry, Language } from './ports';
import type { Policy } from '../workflows/domain/policy';
import { releaseIfRecycled, type RecyclingDeps } from './recycling';

export interface AccountSnapshot {
  oldPhone: string;
  email?: string;
  language: Language;
  revision: number;
  /** SEC-2: the profile holds identity data to check against (the data itself stays in the registry). */
  hasIdentity: boolean;
  /** FREQ-1: when the previous change completed. */
  lastPhoneChangeAt?: string;
}

export interface LoadAccountRequest {
  accountId: string;
  requestId: string;
  newPhone: string;
  auth: AuthMethod;
}

export interface LoadAccountRequest {
  accountId: string;
  requestId: string;
  newPhone: string;
  auth: AuthMethod;
}

export interface BindPhoneRequest {
  accountId: string;
  requestId?: string;
  oldPhone: string;
  newPhone: string;
  changedAt: string;
}

export interface SettleBindingRequest {
  accountId: string;
  requestId: string;
  oldPhone: string;
  newPhone: string;
  /** When the account does not say when it was bound (a record written before that field). */
  changedAtFallback: string;
}

/** Whether the change's number was bound (and when), as the registry says. */
export type BindingSettled = { bound: true; changedAt: string } | { bound: false };

export function createAccountActivities(deps: Pick<ActivityDeps, 'registry' | 'limiter' | 'limits' | 'keys' | 'policy'> & RecyclingDeps) {
  const { registry, keys } = deps;
  const admit = admitter(deps.limiter, deps.limits);

  /** PRE-1, PRE-3: the account exists, is verified, and the new number is free and different. */
  async function loadAccount(req: LoadAccountRequest): Promise<AccountSnapshot> {
    const found = await registry.getAccount(req.accountId);
    if (!found) throw new AccountNotFoundError('no such account', { field: 'accountId' });
    const account = found.value;
    if (!account.verified) {
      throw new AccountNotVerifiedError('the account is not verified: confirm identity with passport data or a qualified e-signature first', { field: 'accountId' });
    }
    if (account.profileMismatch) {
      throw new ProfileMismatchError('the profile is flagged for a data mismatch: fix the profile data first', { field: 'accountId' });
    }
    if (account.phone === req.newPhone) throw new SameNumberError('the new number is the current number', { field: 'newPhone' });
    // Counted before the registry is asked: "number taken" must not be an unlimited oracle.
    await admit('startsPerAccount', req.accountId, dedupId('start'));
    await admit('startsPerNumber', numberKey(keys.limits, req.newPhone), dedupId('start'));
    const owner = await registry.ownerOf(req.newPhone);
    // SIG-2: a number the operator recycled since it was bound there is released first, and the change goes on.
    if (owner !== undefined && owner !== req.accountId && (await releaseIfRecycled(deps, req.newPhone, owner, 'start', 'recycled-start')) !== 'recycled') {
      throw new NumberTakenError('the new number is bound to another account', { field: 'newPhone' });
    }
    // PRE-4, AFTER-3: a request id names one change for good; reused by another run it is a conflict.
    const { workflowId, runId } = currentRun();
    const holder = await registry.claimRequestId(req.requestId, `${workflowId}/${runId}`);
    if (holder !== `${workflowId}/${runId}`) throw new RequestIdConflictError('this request id belongs to another change: use a new one', { field: 'requestId' });
    return {
      oldPhone: account.phone,
      email: account.email,
      language: account.language,
      revision: found.revision,
      hasIdentity: account.identityHash !== undefined,
      lastPhoneChangeAt: account.lastPhoneChangeAt,
    };
  }

  /**
   * PRE-3, DONE-1: binds the new number atomically. The index entry is claimed first (only one
   * account can win a number), then the account is written with compare-and-set; a retry after a
   * crash at any point finds its own earlier work and finishes it. The claim is given back only
   * on a definite refusal: after a timeout the write may have landed, and the retry settles it.
   */
  async function bindPhone(req: BindPhoneRequest): Promise<void> {
    try {
      await updateAccount(registry, req.accountId, async ({ value: account }) => {
        if (account.phone === req.newPhone) return { result: undefined }; // applied by an earlier attempt
        if (req.requestId !== undefined && account.closedRequestId === req.requestId) {
          throw new ConcurrentModificationError('this change ended before its binding could land', { field: 'requestId' });
        }
        if (account.phone !== req.oldPhone) throw new ConcurrentModificationError("the account's phone changed while this change was open", {});
        const owner = await registry.claimPhone(req.newPhone, req.accountId);
        if (owner !== req.accountId) throw new NumberTakenError('the new number was bound to another account meanwhile', { field: 'newPhone' });
        const next: Account = {
          ...account,
          phone: req.newPhone,
          phoneConfirmed: true,
          previousPhone: req.oldPhone,
          lastPhoneChangeAt: req.changedAt,
          lastChangeRequestId: req.requestId,
          revertedRequestId: undefined,
          phoneBoundAt: req.changedAt,
        };
        return { write: next, result: undefined };
      });
    } catch (err) {
      if (isDefinite(err)) await registry.releasePhone(req.newPhone, req.accountId);
      throw err;
    }
    await registry.releasePhone(req.oldPhone, req.accountId);
  }

  /**
   * DONE-1 after a crash (v7): the binding is a local activity, so a worker that dies after it
   * wrote and before its workflow task completed leaves nothing of it in history, and the task run
   * again may end the change another way (a cancel, a reject or the deadline taken meanwhile).
   * Before such an end the change asks here. Bound by this request: it completes after all (and
   * the old number's claim, which the dead binding had not yet given back, is). Not bound: the
   * request is closed on the account first, so a binding of it still running elsewhere (a worker
   * cut off rather than dead) refuses at its compare-and-set, and then the claim on the new number
   * such a binding may have left is given back.
   */
  async function settleBinding(req: SettleBindingRequest): Promise<BindingSettled> {
    const { settled, holdsNew } = await updateAccount<{ settled: BindingSettled; holdsNew: boolean }>(registry, req.accountId, async ({ value: account }) => {
      // The account may hold the new number without this request having bound it (a revert gave
      // it back meanwhile): that claim is the account's, and stays.
      const holdsNew = account.phone === req.newPhone;
      if (holdsNew && account.lastChangeRequestId === req.requestId) return { result: { settled: { bound: true, changedAt: account.lastPhoneChangeAt ?? req.changedAtFallback }, holdsNew } };
      const notBound = { settled: { bound: false as const }, holdsNew };
      if (account.closedRequestId === req.requestId) return { result: notBound };
      return { write: { ...account, closedRequestId: req.requestId }, result: notBound };
    });
    if (settled.bound) await registry.releasePhone(req.oldPhone, req.accountId);
    else if (!holdsNew) await registry.releasePhone(req.newPhone, req.accountId);
    return settled;
  }

  /** SEC-7, PRE-1..PRE-6 (v7): the worker's policy and the account check in one local activity (one history event, not two). */
  async function openChange(req: LoadAccountRequest): Promise<{ policy: Policy; account: AccountSnapshot }> {
    return { policy: deps.policy, account: await loadAccount(req) };
  }

  return { loadAccount, bindPhone, openChange, settleBinding };
}

/** Adds an account and binds its number in the index (back-office and development use). */
export async function registerAccount(registry: ContactRegistry, account: Account): Promise<void> {
  const owner = await registry.claimPhone(account.phone, account.accountId);
  if (owner !== account.accountId) throw new NumberTakenError('the number is bound to another account', { field: 'phone' });
  await registry.putAccount(account, 0);
}
