/** The ContactRegistry port (accounts, the phone index, request ids) and the History port: NATS and the fakes. */
import { expect } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { NatsContactRegistry } from '../../activities/adapters/nats/registry';
import { JetStreamHistory } from '../../activities/adapters/nats/publishers';
import type { Account, ContactRegistry, History, HistoryEntry } from '../../activities/ports';
import { ConcurrentModificationError } from '../../workflows/domain/errors';
import { FakeHistory, FakeRegistry } from '../support/fakes';
import { contract, natsOfRun, unique, type Case } from './contract';

const phone = () => `+7916${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
const account = (overrides: Partial<Account> = {}): Account => ({ accountId: unique('acct'), phone: phone(), phoneConfirmed: true, verified: true, language: 'ru', ...overrides });
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/** A lost compare-and-set is the named conflict the retry rule reads (activities/compare-and-set.ts). */
async function expectConflict(write: Promise<unknown>): Promise<void> {
  const err = await refusal(write);
  expect(err).toBeInstanceOf(ConcurrentModificationError);
  expect((err as ConcurrentModificationError).details.conflict).toBe(true);
}

const registryCases: Case<ContactRegistry>[] = [
  {
    name: 'an unknown account reads as undefined, an unknown number has no owner',
    async run(r) {
      expect(await r.getAccount(unique('nobody'))).toBeUndefined();
      expect(await r.ownerOf(phone())).toBeUndefined();
    },
  },
  {
    name: 'a create (expected revision 0) reads back with its revision',
    async run(r) {
      const a = account({ email: 'anna@example.test', recoveryCodeHashes: ['h1'] });
      const revision = await r.putAccount(a, 0);
      expect(revision).toBeGreaterThan(0);
      expect(await r.getAccount(a.accountId)).toEqual({ value: a, revision });
    },
  },
  {
    name: 'PRE-3: a create over an existing account is a conflict and changes nothing',
    async run(r) {
      const a = account();
      const revision = await r.putAccount(a, 0);
      await expectConflict(r.putAccount({ ...a, phone: phone() }, 0));
      expect(await r.getAccount(a.accountId)).toEqual({ value: a, revision });
    },
  },
  {
    name: 'PRE-3: compare-and-set: the current revision writes and moves on, a stale one is a conflict',
    async run(r) {
      const a = account();
      const first = await r.putAccount(a, 0);
      const moved = { ...a, phone: phone(), previousPhone: a.phone };
      const second = await r.putAccount(moved, first);
      expect(second).toBeGreaterThan(first);
      await expectConflict(r.putAccount({ ...a, language: 'en' }, first));
      expect(await r.getAccount(a.accountId)).toEqual({ value: moved, revision: second });
    },
  },
  {
    name: 'PRE-3: a number is claimed by one account; another learns the owner',
    async run(r) {
      const [n, a, b] = [phone(), unique('acct'), unique('acct')];
      expect(await r.claimPhone(n, a)).toBe(a);
      expect(await r.claimPhone(n, a)).toBe(a); // a retried claim
      expect(await r.claimPhone(n, b)).toBe(a);
      expect(await r.ownerOf(n)).toBe(a);
    },
  },
  {
    name: 'a release by another account leaves the claim; by the owner it frees the number',
    async run(r) {
      const [n, a, b] = [phone(), unique('acct'), unique('acct')];
      await r.claimPhone(n, a);
      await r.releasePhone(n, b);
      expect(await r.ownerOf(n)).toBe(a);
      await r.releasePhone(n, a);
      await r.releasePhone(n, a); // a retried release
      expect(await r.ownerOf(n)).toBeUndefined();
      expect(await r.claimPhone(n, b)).toBe(b);
    },
  },
  {
    name: 'PRE-4, AFTER-3: a request id is held by its first holder for good',
    async run(r) {
      const [id, first, second] = [unique('REQ'), unique('run'), unique('run')];
      expect(await r.claimRequestId(id, first)).toBe(first);
      expect(await r.claimRequestId(id, second)).toBe(first);
      expect(await r.claimRequestId(id, first)).toBe(first);
    },
  },
];

contract<ContactRegistry>(
  'ContactRegistry',
  [
    {
      name: 'NATS KV',
      async open() {
        const { res } = await natsOfRun();
        return new NatsContactRegistry(res.accounts, res.phoneIndex, res.requestIds);
      },
    },
    { name: 'in-memory fake', open: async () => new FakeRegistry() },
  ],
  registryCases,
);

const entry = (n: number): HistoryEntry => ({ at: `2026-11-25T01:1${n}:00.000Z`, kind: 'completed', requestId: 'K7M2QX9PHA', channels: ['sms', 'email'], text: `entry ${n}` });
const texts = (entries: { text: string }[]) => entries.map((e) => e.text);

const historyCases: Case<History>[] = [
  {
    name: 'DONE-3: lists an account’s entries newest first, each with a growing sequence number',
    async run(h) {
      const a = unique('acct');
      for (const n of [1, 2, 3]) await h.append(a, entry(n), unique('id'));
      const listed = await h.list(a);
      expect(listed.map(({ seq: _seq, ...e }) => e)).toEqual([entry(3), entry(2), entry(1)]);
      expect(listed[0]!.seq).toBeGreaterThan(listed[1]!.seq);
    },
  },
  {
    name: 'DONE-3, CH-1: appends once per de-duplication id',
    async run(h) {
      const [a, id] = [unique('acct'), unique('id')];
      await h.append(a, entry(1), id);
      await h.append(a, entry(1), id);
      expect(texts(await h.list(a))).toEqual(['entry 1']);
    },
  },
  {
    name: 'pages back with limit and beforeSeq; accounts stay apart',
    async run(h) {
      const [a, b] = [unique('acct'), unique('acct')];
      for (const n of [1, 2, 3, 4]) await h.append(a, entry(n), unique('id'));
      await h.append(b, entry(9), unique('id'));
      const page = await h.list(a, { limit: 2 });
      expect(texts(page)).toEqual(['entry 4', 'entry 3']);
      expect(texts(await h.list(a, { limit: 2, beforeSeq: page[1]!.seq }))).toEqual(['entry 2', 'entry 1']);
      expect(texts(await h.list(b))).toEqual(['entry 9']);
      expect(await h.list(unique('acct'))).toEqual([]);
    },
  },
];

contract<History>(
  'History',
  [
    { name: 'JetStream ACCOUNT_HISTORY', open: async () => new JetStreamHistory(jetstream((await natsOfRun()).nc)) },
    { name: 'in-memory fake', open: async () => new FakeHistory() },
  ],
  historyCases,
);
