import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { startHarness, type Harness, refusal } from '../support/harness';
import { NumberTakenError, RateLimitedError } from '../../workflows/domain/errors';
import { parseLimit } from '../../activities/limits';
import { KvRateLimiter } from '../../activities/adapters/nats/rate-limiter';
import type { RateLimiter } from '../../activities/ports';
import { BUCKETS } from '../../activities/adapters/nats/resources';
import { natsServers } from '../../workers/config';

let h: Harness;
let other: NatsConnection;
let secondWorker: RateLimiter;
beforeAll(async () => {
  // Long windows: nothing here waits for a window to pass, so nothing depends on timing.
  h = await startHarness({ limits: { startsPerAccount: parseLimit('3/1h'), startsPerNumber: parseLimit('2/1h'), codesPerNumber: parseLimit('10/1h'), wrongEntriesPerAccount: parseLimit('10/1h') } });
  // A second worker's limiter: its own NATS connection, the same bucket.
  other = await connect({ servers: natsServers(inject('natsUrl')) });
  secondWorker = new KvRateLimiter(await new Kvm(other).open(BUCKETS.limits));
});
afterAll(async () => {
  await other?.close();
  await h?.close();
});

const HOUR = { max: 3, windowMs: 3600_000 };
const admitted = (answers: (number | undefined)[]) => answers.filter((a) => a === undefined).length;

describe('limits admit atomically (issue 10)', () => {
  it('issue 10 hole 16: 20 concurrent admissions for one key from two workers under max 3 admit exactly 3', async () => {
    const key = randomUUID().replace(/-/g, '');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? secondWorker : h.services.deps.limiter).admit('startsPerNumber', key, HOUR, `race/${i}`)));
    expect(admitted(answers)).toBe(3);
    for (const wait of answers.filter((a) => a !== undefined)) expect(wait).toBeGreaterThan(0);
    // Nothing more fits afterwards either.
    expect(await h.services.deps.limiter.admit('startsPerNumber', key, HOUR, 'late')).toBeGreaterThan(0);
  });

  it('issue 10 hole 16: a retried event id counts once, also when the window is full', async () => {
    const key = randomUUID().replace(/-/g, '');
    const limiter = h.services.deps.limiter;
    const retried = await Promise.all([1, 2, 3].map(() => limiter.admit('codesPerNumber', key, HOUR, 'same-event')));
    expect(admitted(retried)).toBe(3);
    expect(await limiter.admit('codesPerNumber', key, HOUR, 'second')).toBeUndefined();
    expect(await limiter.admit('codesPerNumber', key, HOUR, 'third')).toBeUndefined();
    expect(await limiter.admit('codesPerNumber', key, HOUR, 'same-event')).toBeUndefined();
    expect(await limiter.admit('codesPerNumber', key, HOUR, 'fourth')).toBeGreaterThan(0);
  });

  it('issue 10 hole 8: starts against a taken number count against the limits before "number taken" is answered', async () => {
    const owner = await h.newAccount();
    const probing = await h.newAccount();
    const answers: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      answers.push(await refusal(h.client.start({ accountId: probing.accountId, newPhone: owner.phone, auth: 'two_factor' })));
      await h.client.result(probing.accountId).catch(() => undefined);
    }
    // startsPerNumber (2/1h) is reached first; then nothing tells whether the number is registered.
    expect(answers.slice(0, 2).every((e) => e instanceof NumberTakenError)).toBe(true);
    for (const e of answers.slice(2)) {
      expect(e).toBeInstanceOf(RateLimitedError);
      expect((e as RateLimitedError).details).toMatchObject({ scope: expect.stringMatching(/^starts/) });
    }
    // Across accounts too: another account probing the same number is refused by the limit, not told.
    const another = await h.newAccount();
    expect(await refusal(h.client.start({ accountId: another.accountId, newPhone: owner.phone, auth: 'two_factor' }))).toBeInstanceOf(RateLimitedError);
    expect(await h.services.deps.registry.ownerOf(owner.phone)).toBe(owner.accountId);
  });
});
