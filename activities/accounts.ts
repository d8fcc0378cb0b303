import { NumberTakenError } from '../workflows/domain/errors';
import type { Account, ContactRegistry } from './ports';

/** Adds an account and binds its number in the index (back-office and development use). */
export async function registerAccount(registry: ContactRegistry, account: Account): Promise<void> {
  const owner = await registry.claimPhone(account.phone, account.accountId);
  if (owner !== account.accountId) throw new NumberTakenError('the number is bound to another account', { field: 'phone' });
  await registry.putAccount(account, 0);
}
