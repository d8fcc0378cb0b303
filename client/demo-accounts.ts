/** Demo accounts for the local stack's walk-through (`npm run cli -- dev seed`). */
import { registerAccount } from '../activities/accounts';
import type { Account, ContactRegistry } from '../activities/ports';

export const demoAccounts: Account[] = [
  { accountId: 'demo-anna', phone: '+79161234501', phoneConfirmed: true, email: 'anna@example.ru', verified: true, language: 'ru' },
  { accountId: 'demo-john', phone: '+79161234502', phoneConfirmed: true, email: 'john@example.com', verified: true, language: 'en' },
  { accountId: 'demo-unverified', phone: '+79161234503', phoneConfirmed: true, email: 'ivan@example.ru', verified: false, language: 'ru' },
];

/** Creates the demo accounts that do not exist yet; returns the ids created. */
export async function seedAccounts(registry: ContactRegistry): Promise<string[]> {
  const created: string[] = [];
  for (const account of demoAccounts) {
    if (await registry.getAccount(account.accountId)) continue;
    await registerAccount(registry, account);
    created.push(account.accountId);
  }
  return created;
}
