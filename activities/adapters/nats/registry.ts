/** The contact registry on NATS KV: `accounts` holds records, `phone_index` maps a number to its account. */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { casConflict, retryOnConflict } from '../../compare-and-set';
import type { Account, ContactRegistry, Versioned } from '../../ports';

/** KV keys allow no '+': the index is keyed by the digits. */
const phoneKey = (e164: string) => e164.replace(/^\+/, '');

export function isWrongLastSequence(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}

export class NatsContactRegistry implements ContactRegistry {
  constructor(
    private readonly accounts: KV,
    private readonly index: KV,
    private readonly requestIds: KV,
  ) {}

  async claimRequestId(requestId: string, holder: string): Promise<string> {
    return retryOnConflict(async () => {
      try {
        await this.requestIds.create(requestId, holder);
        return holder;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        const e = await this.requestIds.get(requestId);
        // The id is held (the create was refused) but the read did not see it: a stale read (a
        // cut-off old leader), never "nobody holds it", which would give one request two changes.
        if (!e || e.operation !== 'PUT') throw casConflict('the request id is held but could not be read', 'requestId');
        return e.string();
      }
    });
  }

  async getAccount(accountId: string): Promise<Versioned<Account> | undefined> {
    const e = await this.accounts.get(accountId);
    if (!e || e.operation !== 'PUT') return undefined;
    return { value: e.json<Account>(), revision: e.revision };
  }

  async putAccount(account: Account, expectedRevision: number): Promise<number> {
    const data = JSON.stringify(account);
    try {
      return expectedRevision === 0 ? await this.accounts.create(account.accountId, data) : await this.accounts.update(account.accountId, data, expectedRevision);
    } catch (err) {
      if (isWrongLastSequence(err)) {
        throw casConflict('the account record changed since it was read', 'accountId');
      }
      throw err;
    }
  }

  async ownerOf(phone: string): Promise<string | undefined> {
    const e = await this.index.get(phoneKey(phone));
    return e && e.operation === 'PUT' ? e.string() : undefined;
  }

  async claimPhone(phone: string, accountId: string): Promise<string> {
    try {
      await this.index.create(phoneKey(phone), accountId);
      return accountId;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
      const owner = await this.ownerOf(phone);
      // Released between our create and our read: a benign race, the caller's compare-and-set loop claims again.
      if (owner === undefined) throw casConflict('the number index changed during the claim', 'newPhone');
      return owner;
    }
  }

  /** SIG-2: the index's keys are the numbers' digits; listing reads every key (fine for a daily sweep, a keyed scan for large registries). */
  async listPhones(after: string | undefined, limit: number): Promise<{ phone: string; accountId: string }[]> {
    const keys: string[] = [];
    for await (const k of await this.index.keys()) keys.push(k);
    const from = after === undefined ? undefined : phoneKey(after);
    const next = keys
      .filter((k) => /^\d+$/.test(k) && (from === undefined || k > from))
      .sort()
      .slice(0, limit);
    const out: { phone: string; accountId: string }[] = [];
    for (const k of next) {
      const owner = await this.ownerOf(`+${k}`);
      if (owner !== undefined) out.push({ phone: `+${k}`, accountId: owner });
    }
    return out;
  }

  async releasePhone(phone: string, accountId: string): Promise<void> {
    const e = await this.index.get(phoneKey(phone));
    if (!e || e.operation !== 'PUT' || e.string() !== accountId) return;
    try {
      await this.index.delete(phoneKey(phone), { previousSeq: e.revision });
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err; // someone else changed it: not ours to delete
    }
  }
}
