/**
 * The sliding-window counter of the limits in a KV bucket. Each scope and key has one record of the
 * events inside its window; an event is admitted by a compare-and-set write of that record, so two
 * workers racing at the edge of a window cannot both take the last place.
 */
import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import type { Limit, LimitScope, RateLimiter } from '../../ports';
import { casConflict, retryOnConflict } from '../../compare-and-set';
import { slideWindow, type WindowEvent } from '../../limits';
import { isWrongLastSequence } from './registry';

/** The events inside a key's window. */
interface WindowRecord {
  events: WindowEvent[];
}

export class KvRateLimiter implements RateLimiter {
  constructor(private readonly kv: KV) {}

  async admit(scope: LimitScope, key: string, limit: Limit, eventId: string): Promise<number | undefined> {
    const k = `${scope}.${key}`;
    const id = createHash('sha256').update(eventId).digest('hex').slice(0, 24);
    // Each lost race means another event got in, so max + 2 attempts always reach an answer.
    return retryOnConflict(async () => {
      const entry = await this.kv.get(k);
      const decided = slideWindow(entry?.operation === 'PUT' ? entry.json<WindowRecord>().events : [], id, limit, Date.now());
      if (!('events' in decided)) return decided.retryAfterMs;
      const next = JSON.stringify({ events: decided.events } satisfies WindowRecord);
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
