/**
 * Limits against abuse (SMS pumping, code guessing, takeover attempts): caps per account and per
 * destination number over sliding windows, shared by every worker. Each scope and key has one KV
 * record of the events inside its window; an event is admitted by a compare-and-set write of that
 * record, so two workers racing at the edge of a window cannot both take the last place. Numbers
 * are keyed by a keyed hash: no phone number in a key.
 */
import { createHash, createHmac } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { isWrongLastSequence } from './nats/registry';
import { casConflict, retryOnConflict } from './compare-and-set';

export interface Limit {
  max: number;
  windowMs: number;
}

export interface Limits {
  startsPerAccount: Limit;
  startsPerNumber: Limit;
  codesPerNumber: Limit;
  wrongEntriesPerAccount: Limit;
}

export const defaultLimits: Limits = {
  startsPerAccount: { max: 5, windowMs: 24 * 3600_000 },
  startsPerNumber: { max: 3, windowMs: 24 * 3600_000 },
  codesPerNumber: { max: 10, windowMs: 3600_000 },
  wrongEntriesPerAccount: { max: 10, windowMs: 3600_000 },
};

export type LimitScope = keyof Limits;

/** Port: a sliding-window counter shared by all workers. */
export interface RateLimiter {
  /**
   * Counts the event and answers undefined when it fits the window; otherwise counts nothing and
   * answers the milliseconds until one more fits. Idempotent per `eventId`: an event counted
   * before is admitted again without counting twice (a retried activity).
   */
  admit(scope: LimitScope, key: string, limit: Limit, eventId: string): Promise<number | undefined>;
}

/** Records live as long as the longest window may be. */
export const MAX_WINDOW_MS = 7 * 24 * 3600_000;

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

/** Subject-safe key of a phone number that does not reveal it. */
export function numberKey(secret: Buffer, e164: string): string {
  return createHmac('sha256', secret).update(`limit|${e164}`).digest('hex').slice(0, 24);
}

/** Parses `max/duration`, e.g. `5/24h`, `10/1h`, `3/90s`. */
export function parseLimit(spec: string): Limit {
  const m = /^(\d+)\/(\d+[smhd])$/.exec(spec.trim());
  if (!m) throw new Error(`"${spec}" is not max/duration (e.g. 5/24h)`);
  const limit = { max: Number(m[1]), windowMs: parseDuration(m[2]!) };
  if (limit.windowMs > MAX_WINDOW_MS) throw new Error(`"${spec}": windows are at most 7 days`);
  return limit;
}

/** `90s`, `10m`, `24h`, `7d` in milliseconds. */
export function parseDuration(spec: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(spec.trim());
  if (!m) throw new Error(`"${spec}" is not a duration (e.g. 10m)`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
