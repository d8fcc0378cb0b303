/**
 * The sliding-window counter of the limits in a KV bucket. Each scope and key has one record of the
 * events inside its window; an event is admitted by a compare-and-set write of that record, so two
 * workers racing at the edge of a window cannot both take the last place.
 */
import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import type { Limit, LimitScope, RateLimiter } from '../../ports';
import { casConflict, retryOnConflict } from '../../compare-and-set';
import { isWrongLastSequence } from './registry';

/** The events inside a key's window: [hash of the event id, when it was admitted (ms)]. */
interface WindowRecord {
  events: [string, number][];
}

export class KvRateLimiter implements RateLimiter {
  constructor(private readonly kv: KV) {}

  async admit(scope: LimitScope, key: string, limit: Limit, eventId: string): Promise<number | undefined> {
    const k = `${scope}.${key}`;
    const id = createHash('sha256').update(eventId).digest('hex').slice(0, 24);
    // Each lost race means another event got in, so max + 2 attempts always reach an answer.
    return retryOnConflict(async () => {
      const entry = await this.kv.get(k);
      const now = Date.now();
      const stored = entry?.operation === 'PUT' ? entry.json<WindowRecord>().events : [];
      const live = stored.filter(([, at]) => at > now - limit.windowMs);
      if (live.some(([e]) => e === id)) return undefined;
      if (live.length >= limit.max) return Math.max(1000, Math.min(now, ...live.map(([, at]) => at)) + limit.windowMs - now);
      const next = JSON.stringify({ events: [...live, [id, now]] } satisfies WindowRecord);
      try {
        await (entry ? this.kv.update(k, next, entry.revision) : this.kv.create(k, next));
      } catch (err) {
        if (isWrongLastSequence(err)) throw casConflict('another event took the place', 'limit');
        throw err;
      }
      return undefined;
    }, limit.max + 2);
  }
}
