/**
 * Limits against abuse (SMS pumping, code guessing, takeover attempts): caps per account and per
 * destination number over sliding windows, shared by every worker (the counter is a port,
 * RateLimiter; adapters/nats/rate-limiter.ts keeps it in NATS KV). Numbers are keyed by a keyed
 * hash: no phone number in a key.
 */
import { createHmac } from 'node:crypto';
import { RateLimitedError } from '../workflows/domain/errors';
import type { Limit, Limits, LimitScope, RateLimiter } from './ports';

export const defaultLimits: Limits = {
  startsPerAccount: { max: 5, windowMs: 24 * 3600_000 },
  startsPerNumber: { max: 3, windowMs: 24 * 3600_000 },
  codesPerNumber: { max: 10, windowMs: 3600_000 },
  wrongEntriesPerAccount: { max: 10, windowMs: 3600_000 },
};

/** Records live as long as the longest window may be. */
export const MAX_WINDOW_MS = 7 * 24 * 3600_000;

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

/** Counts an event when it fits its window (atomically, once per id); refuses with RateLimitedError otherwise. */
export function admitter(limiter: RateLimiter, limits: Limits) {
  return async function admit(scope: LimitScope, key: string, eventId: string): Promise<void> {
    const retryAfterMs = await limiter.admit(scope, key, limits[scope], eventId);
    if (retryAfterMs !== undefined) {
      throw new RateLimitedError(`too many attempts (${scope}); try again in ${Math.ceil(retryAfterMs / 1000)} s`, { scope, retryAfterMs });
    }
  };
}

/** An event inside a window: [hash of its id, when it was admitted (ms)]. */
export type WindowEvent = [string, number];

/**
 * The sliding-window rule of every RateLimiter: the events still inside the window with `id`
 * added (`events`), or nothing to write (`retryAfterMs` undefined: counted before), or the wait
 * until one more fits (at least a second, so a caller never spins).
 */
export function slideWindow(stored: WindowEvent[], id: string, limit: Limit, now: number): { events: WindowEvent[] } | { retryAfterMs: number | undefined } {
  const live = stored.filter(([, at]) => at > now - limit.windowMs);
  if (live.some(([e]) => e === id)) return { retryAfterMs: undefined };
  if (live.length >= limit.max) return { retryAfterMs: Math.max(1000, Math.min(now, ...live.map(([, at]) => at)) + limit.windowMs - now) };
  return { events: [...live, [id, now]] };
}
