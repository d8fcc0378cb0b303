/** The small shared-state ports on NATS KV (sent markers, spent credentials, the rate limiter) and their fakes. */
import { expect } from 'vitest';
import { KvSentMarkers } from '../../activities/adapters/nats/sent-markers';
import { KvSpentCredentials } from '../../activities/adapters/nats/spent-credentials';
import { KvRateLimiter } from '../../activities/adapters/nats/rate-limiter';
import type { RateLimiter, SentMarkers, SpentCredentials } from '../../activities/ports';
import { FakeRateLimiter, FakeSentMarkers, FakeSpentCredentials } from '../support/fakes';
import { contract, natsOfRun, POLL, unique } from './contract';

contract<SentMarkers>(
  'SentMarkers',
  [
    { name: 'NATS KV', open: async () => new KvSentMarkers((await natsOfRun()).res.mailSent) },
    { name: 'in-memory fake', open: async () => new FakeSentMarkers() },
  ],
  [
    {
      name: 'CH-1: a key is unmarked until marked, and stays marked when marked again',
      async run(m) {
        const key = unique('sent');
        expect(await m.has(key)).toBe(false);
        await m.mark(key);
        await m.mark(key);
        expect([await m.has(key), await m.has(unique('sent'))]).toEqual([true, false]);
      },
    },
  ],
);

contract<SpentCredentials>(
  'SpentCredentials',
  [
    { name: 'NATS KV', open: async () => new KvSpentCredentials((await natsOfRun()).res.spentCredentials) },
    { name: 'in-memory fake', open: async () => new FakeSpentCredentials() },
  ],
  [
    {
      name: 'SEC-6: a credential id is spent once; its own spender may spend it again (a retried activity)',
      async run(s) {
        const [jti, spender] = [unique('jti'), unique('spender')];
        expect(await s.spend(jti, spender)).toBe(true);
        expect(await s.spend(jti, spender)).toBe(true);
        expect(await s.spend(jti, unique('spender'))).toBe(false);
      },
    },
    {
      name: 'SEC-6: of concurrent spenders exactly one wins',
      async run(s) {
        const jti = unique('jti');
        const won = await Promise.all(Array.from({ length: 6 }, () => s.spend(jti, unique('spender'))));
        expect(won.filter(Boolean)).toHaveLength(1);
      },
    },
  ],
);

const limit = { max: 3, windowMs: 60_000 };

contract<RateLimiter>(
  'RateLimiter',
  [
    { name: 'NATS KV', open: async () => new KvRateLimiter((await natsOfRun()).res.limits) },
    { name: 'in-memory fake', open: async () => new FakeRateLimiter() },
  ],
  [
    {
      name: 'SEC-4: admits up to the limit, then answers the wait (within the window) and counts nothing',
      async run(r) {
        const key = unique('key');
        for (let n = 0; n < limit.max; n++) expect(await r.admit('codesPerNumber', key, limit, unique('event'))).toBeUndefined();
        const wait = await r.admit('codesPerNumber', key, limit, unique('event'));
        expect(wait).toBeGreaterThanOrEqual(1000);
        expect(wait).toBeLessThanOrEqual(limit.windowMs);
      },
    },
    {
      name: 'SEC-4: an event counted before is admitted again without counting twice (a retried activity)',
      async run(r) {
        const [key, event] = [unique('key'), unique('event')];
        for (let n = 0; n < 5; n++) expect(await r.admit('startsPerAccount', key, limit, event)).toBeUndefined();
        expect(await r.admit('startsPerAccount', key, limit, unique('event'))).toBeUndefined();
        expect(await r.admit('startsPerAccount', key, limit, unique('event'))).toBeUndefined();
        expect(await r.admit('startsPerAccount', key, limit, unique('event'))).toBeGreaterThan(0);
      },
    },
    {
      name: 'SEC-4: scopes and keys count apart',
      async run(r) {
        const key = unique('key');
        const one = { max: 1, windowMs: 60_000 };
        expect(await r.admit('startsPerNumber', key, one, unique('event'))).toBeUndefined();
        expect(await r.admit('startsPerNumber', key, one, unique('event'))).toBeGreaterThan(0);
        expect(await r.admit('codesPerNumber', key, one, unique('event'))).toBeUndefined();
        expect(await r.admit('startsPerNumber', unique('key'), one, unique('event'))).toBeUndefined();
      },
    },
    {
      name: 'SEC-4: concurrent events at the edge of a window: exactly the limit is admitted',
      async run(r) {
        const key = unique('key');
        const answers = await Promise.all(Array.from({ length: 8 }, () => r.admit('startsPerNumber', key, limit, unique('event'))));
        expect(answers.filter((a) => a === undefined)).toHaveLength(limit.max);
      },
    },
    {
      name: 'SEC-4: an event admitted again once the window slid past the old ones',
      async run(r) {
        const [key, short] = [unique('key'), { max: 1, windowMs: 300 }];
        expect(await r.admit('wrongEntriesPerAccount', key, short, unique('event'))).toBeUndefined();
        const late = unique('event');
        expect(await r.admit('wrongEntriesPerAccount', key, short, late)).toBeGreaterThan(0);
        // Refused attempts count nothing, so asking again with one id waits on the window alone.
        await expect.poll(() => r.admit('wrongEntriesPerAccount', key, short, late), POLL).toBeUndefined();
      },
    },
  ],
);
