import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TimeoutError } from '@nats-io/transport-node';
import { startHarness, operatorToken, refusal, type Harness } from '../support/harness';
import { NumberTakenError } from '../../workflows/domain/errors';
import { casConflict } from '../../activities/compare-and-set';
import type { Account, ContactRegistry } from '../../activities/ports';

/**
 * The real NATS KV registry behind a wrapper that plays an unreliable network: a write that lands
 * and is then answered with a timeout, a write that times out before landing, a claim that races
 * a release.
 */
class DoubtfulRegistry implements ContactRegistry {
  /** Accounts whose next write is applied, then answered with a timeout. */
  readonly appliedThenTimeout = new Set<string>();
  /** Accounts whose next write times out without landing; the owner of the number is noted when the retry reads. */
  readonly lostWrite = new Map<string, { phone: string; ownerOnRetry?: string | null }>();
  /** Numbers whose next claim reports the benign "released meanwhile" race. */
  readonly racedClaim = new Set<string>();

  constructor(private readonly inner: ContactRegistry) {}

  async getAccount(accountId: string) {
    const lost = this.lostWrite.get(accountId);
    if (lost?.ownerOnRetry === null) lost.ownerOnRetry = (await this.inner.ownerOf(lost.phone)) ?? 'nobody';
    return this.inner.getAccount(accountId);
  }
  async putAccount(account: Account, expectedRevision: number) {
    const lost = this.lostWrite.get(account.accountId);
    if (lost && lost.ownerOnRetry === undefined) {
      lost.ownerOnRetry = null; // the retry's first read notes who holds the number
      throw new TimeoutError();
    }
    const revision = await this.inner.putAccount(account, expectedRevision);
    if (this.appliedThenTimeout.delete(account.accountId)) throw new TimeoutError();
    return revision;
  }
  ownerOf(phone: string) {
    return this.inner.ownerOf(phone);
  }
  async claimPhone(phone: string, accountId: string) {
    if (this.racedClaim.delete(phone)) throw casConflict('the number index changed during the claim', 'newPhone');
    return this.inner.claimPhone(phone, accountId);
  }
  releasePhone(phone: string, accountId: string) {
    return this.inner.releasePhone(phone, accountId);
  }
  claimRequestId(requestId: string, holder: string) {
    return this.inner.claimRequestId(requestId, holder);
  }
}

let h: Harness;
let registry: DoubtfulRegistry;
beforeAll(async () => {
  h = await startHarness({ wrapDeps: (deps) => ({ ...deps, registry: (registry = new DoubtfulRegistry(deps.registry)) }) });
});
afterAll(async () => h?.close());

async function expectBound(account: Account, phone: string, freed: string) {
  expect((await h.services.deps.registry.getAccount(account.accountId))?.value.phone).toBe(phone);
  expect(await h.services.deps.registry.ownerOf(phone)).toBe(account.accountId);
  expect(await h.services.deps.registry.ownerOf(freed)).toBeUndefined();
  // Nobody else can start a change to the bound number, nor claim it.
  const intruder = await h.newAccount();
  expect(await refusal(h.client.start({ accountId: intruder.accountId, newPhone: phone, auth: 'two_factor' }))).toBeInstanceOf(NumberTakenError);
  expect(await h.services.deps.registry.claimPhone(phone, intruder.accountId)).toBe(account.accountId);
}

describe('registry writes with an unknown outcome (issue 10)', () => {
  it('issue 10 hole 6: a commit write that landed but was answered with a timeout keeps the new number bound; a second account cannot take it', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    registry.appliedThenTimeout.add(account.accountId);
    await h.completeChange(account, newPhone);
    expect(registry.appliedThenTimeout.has(account.accountId)).toBe(false); // the timeout did happen
    await expectBound(account, newPhone, account.phone);
  });

  it('issue 10 hole 6: a commit write that timed out before landing keeps its claim until the retry lands it', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    registry.lostWrite.set(account.accountId, { phone: newPhone });
    await h.completeChange(account, newPhone);
    expect(registry.lostWrite.get(account.accountId)?.ownerOnRetry).toBe(account.accountId);
    await expectBound(account, newPhone, account.phone);
  });

  it('issue 10 hole 6: a claim that raced a release is claimed again, not a failed commit', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    registry.racedClaim.add(newPhone);
    await h.completeChange(account, newPhone);
    expect(registry.racedClaim.has(newPhone)).toBe(false);
    await expectBound(account, newPhone, account.phone);
  });

  it('issue 10 hole 6: a revert write that landed but was answered with a timeout keeps the restored number bound', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    const ref = await h.completeChange(account, newPhone);
    registry.appliedThenTimeout.add(account.accountId);
    const operator = await operatorToken({ account: account.accountId, requestId: ref.requestId, action: 'support:revert', roles: ['support:revert'] });
    expect((await h.client.revert(account.accountId, ref.requestId, operator, 'fraud: SIM swap')).state).toBe('reverted');
    expect(registry.appliedThenTimeout.has(account.accountId)).toBe(false);
    await expectBound(account, account.phone, newPhone);
  });
});
