/**
 * The one compare-and-set rule of the registry and the limits. A write that lost a definite
 * conflict (another writer got there first) reads again and retries. Anything else (a timeout, a
 * dropped connection) leaves the outcome unknown: the write may have been applied, or may still
 * be, so it is settled by reading again, never answered by undoing anything.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AccountNotFoundError, ConcurrentModificationError, PhoneChangeError } from '../workflows/domain/errors';
import type { Account, ContactRegistry, Versioned } from './ports';

export const CAS_ATTEMPTS = 5;

/** A compare-and-set that lost to another writer: nothing was written, reading again is safe. */
export function casConflict(message: string, field: string): ConcurrentModificationError {
  return new ConcurrentModificationError(message, { field, conflict: true });
}

const isConflict = (err: unknown) => err instanceof ConcurrentModificationError && err.details.conflict === true;

/** Business outcomes are definite; any other error (timeout, connection) leaves a write's outcome unknown. */
export const isDefinite = (err: unknown) => err instanceof PhoneChangeError;

/** Runs `attempt` again while it loses conflicts, up to `attempts` times; other errors pass up at once. */
export async function retryOnConflict<T>(attempt: () => Promise<T>, attempts = CAS_ATTEMPTS): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConflict(err) || n >= attempts) throw err;
      // A little jitter so that writers racing for one key do not collide again in lockstep.
      await sleep(Math.random() * 5 * n);
    }
  }
}

/** What a step decides after reading the account: write this record (and answer `result`), or answer without writing. */
export type AccountStep<R> = { write: Account; result: R } | { result: R };

/**
 * Reads the account, lets `step` decide, writes with compare-and-set; retries on conflicts
 * (`step` may throw `casConflict` too, e.g. a claim that raced a release). A write with an
 * unknown outcome is settled by reading again: applied → done; the revision moved on → the
 * write can never land (a conflict, retried); unchanged → still unknown, the error passes up
 * and nothing may be released (the activity's retry settles it).
 */
export async function updateAccount<R>(registry: ContactRegistry, accountId: string, step: (found: Versioned<Account>) => Promise<AccountStep<R>>): Promise<R> {
  return retryOnConflict(async () => {
    const found = await registry.getAccount(accountId);
    if (!found) throw new AccountNotFoundError('no such account', { field: 'accountId' });
    const decided = await step(found);
    if (!('write' in decided)) return decided.result;
    try {
      await registry.putAccount(decided.write, found.revision);
    } catch (err) {
      if (isDefinite(err)) throw err;
      await settle(registry, found, decided.write, err);
    }
    return decided.result;
  });
}

async function settle(registry: ContactRegistry, before: Versioned<Account>, written: Account, cause: unknown): Promise<void> {
  const now = await registry.getAccount(before.value.accountId);
  if (now && now.revision === before.revision) throw cause;
  if (now && JSON.stringify(now.value) === JSON.stringify(written)) return;
  throw casConflict('the account record changed while a write was in doubt', 'accountId');
}
