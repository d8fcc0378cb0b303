/**
 * PRE-4: a request id names one change, even when the read after a refused claim is stale.
 *
 * Unit test with a fake bucket (not NATS): a stale read of a held key happens on a cluster only
 * while a cut-off old leader still answers, which a test cannot arrange on demand. The cluster
 * suite (tests/cluster/read-after-write.test.ts) covers reads through followers on real NATS.
 */
import { describe, expect, it } from 'vitest';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import { NatsContactRegistry } from '../../activities/adapters/nats/registry';
import { ConcurrentModificationError } from '../../workflows/domain/errors';

/** A bucket in which `id` is held by `holder`, whose first `staleReads` reads of it answer "no such key". */
function heldBucket(id: string, holder: string, staleReads: number): KV & { reads: number } {
  const bucket = {
    reads: 0,
    async create(key: string): Promise<number> {
      if (key !== id) return 1;
      throw new JetStreamApiError({ err_code: JetStreamApiCodes.StreamWrongLastSequence, code: 400, description: 'wrong last sequence: 1' });
    },
    async get(key: string): Promise<KvEntry | null> {
      bucket.reads++;
      if (key !== id || bucket.reads <= staleReads) return null;
      return { operation: 'PUT', string: () => holder } as unknown as KvEntry;
    },
  };
  return bucket as unknown as KV & { reads: number };
}

const registryOver = (requestIds: KV) => new NatsContactRegistry({} as KV, {} as KV, requestIds);

describe('PRE-4: a refused claim whose read is stale (fake bucket)', () => {
  it('reads again and names the real holder, never the caller', async () => {
    const bucket = heldBucket('REQ1', 'phone-change/a/run-1', 2);
    expect(await registryOver(bucket).claimRequestId('REQ1', 'phone-change/b/run-2')).toBe('phone-change/a/run-1');
    expect(bucket.reads).toBe(3);
  });

  it('a read that stays stale ends in a typed conflict the caller is told (the start is refused), not in a second holder', async () => {
    const err = await registryOver(heldBucket('REQ2', 'phone-change/a/run-1', 1000))
      .claimRequestId('REQ2', 'phone-change/b/run-2')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrentModificationError);
    expect((err as ConcurrentModificationError).details).toMatchObject({ field: 'requestId', conflict: true });
  });

  it('a free id is the caller’s', async () => {
    expect(await registryOver(heldBucket('OTHER', 'x', 0)).claimRequestId('REQ3', 'phone-change/b/run-2')).toBe('phone-change/b/run-2');
  });
});
