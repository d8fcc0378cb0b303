/** Demo accounts for the local stack's walk-through (`npm run cli -- dev seed`). */
import { registerAccount } from '../activities/accounts';
import { hashIdentity, hashRecoveryCode, type IdentityData, type ProofKeys } from '../activities/codes';
import type { Account, ContactRegistry } from '../activities/ports';

export interface DemoAccount {
  account: Omit<Account, 'identityHash'>;
  /** What the profile holds (SEC-2); stored only as a keyed hash. */
  identity: IdentityData;
}

export const demoAccounts: DemoAccount[] = [
  {
    account: { accountId: 'demo-anna', phone: '+79161234501', phoneConfirmed: true, email: 'anna@example.ru', verified: true, language: 'ru' },
    identity: { fullName: 'Иванова Анна Сергеевна', passport: '4510 123456' },
  },
  {
    account: { accountId: 'demo-john', phone: '+79161234502', phoneConfirmed: true, email: 'john@example.com', verified: true, language: 'en' },
    identity: { fullName: 'Smith John', passport: '4511 654321' },
  },
  {
    account: { accountId: 'demo-boris', phone: '+79161234504', phoneConfirmed: true, email: 'boris@example.ru', verified: true, language: 'ru', lastPhoneChangeAt: new Date().toISOString() },
    identity: { fullName: 'Петров Борис Ильич', passport: '4512 111222' },
  },
  {
    account: { accountId: 'demo-unverified', phone: '+79161234503', phoneConfirmed: true, email: 'ivan@example.ru', verified: false, language: 'ru' },
    identity: { fullName: 'Сидоров Иван Петрович', passport: '4513 333444' },
  },
];

/** REC-3: the demo accounts' backup recovery codes (shown by `dev seed`). */
export const demoRecoveryCodes = ['AB12-CD34', 'EF56-GH78'];

/** Creates the demo accounts that do not exist yet, with the worker's keys (development only); returns the ids created. */
export async function seedAccounts(registry: ContactRegistry, keys: Pick<ProofKeys, 'identity' | 'recovery'>): Promise<string[]> {
  const created: string[] = [];
  for (const { account, identity } of demoAccounts) {
    if (await registry.getAccount(account.accountId)) continue;
    const recoveryCodeHashes = demoRecoveryCodes.map((c) => hashRecoveryCode(keys.recovery, account.accountId, c));
    // SIG-2: the demo numbers were bound long ago (the date Number Recycling is asked with).
    const phoneBoundAt = account.phoneBoundAt ?? '2024-01-10T10:00:00.000Z';
    await registerAccount(registry, { ...account, phoneBoundAt, identityHash: hashIdentity(keys.identity, account.accountId, identity), recoveryCodeHashes });
    created.push(account.accountId);
  }
  return created;
}
