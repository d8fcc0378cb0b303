/**
 * Limits against abuse (SMS pumping, code guessing, takeover attempts): caps per account and per
 * destination number over sliding windows, shared by every worker. Each admitted event is a
 * JetStream message with a per-message TTL equal to the window, on a subject of its own scope and
 * key, so the live count of a subject is the count inside the window and the oldest message says
 * when the next one is allowed. Numbers are keyed by a keyed hash: no phone number in a subject.
 */
import { createHmac } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';

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
  /** Milliseconds until one more event fits, or undefined when it fits now. */
  check(scope: LimitScope, key: string, limit: Limit): Promise<number | undefined>;
  /** Counts one event (once per `eventId`). */
  record(scope: LimitScope, key: string, limit: Limit, eventId: string): Promise<void>;
}

export const LIMITS_STREAM = 'LIMITS';

export class JetStreamRateLimiter implements RateLimiter {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  private subject(scope: LimitScope, key: string): string {
    return `limits.${scope}.${key}`;
  }

  async check(scope: LimitScope, key: string, limit: Limit): Promise<number | undefined> {
    const subject = this.subject(scope, key);
    const info = await this.jsm.streams.info(LIMITS_STREAM, { subjects_filter: subject });
    const count = info.state.subjects?.[subject] ?? 0;
    if (count < limit.max) return undefined;
    const oldest = await this.jsm.direct.getMessage(LIMITS_STREAM, { next_by_subj: subject });
    const until = oldest ? oldest.time.getTime() + limit.windowMs : Date.now() + limit.windowMs;
    return Math.max(1000, until - Date.now());
  }

  async record(scope: LimitScope, key: string, limit: Limit, eventId: string): Promise<void> {
    await this.js.publish(this.subject(scope, key), '', { msgID: `${scope}/${eventId}`, ttl: `${Math.max(1, Math.ceil(limit.windowMs / 1000))}s` });
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
  return { max: Number(m[1]), windowMs: parseDuration(m[2]!) };
}

/** `90s`, `10m`, `24h`, `7d` in milliseconds. */
export function parseDuration(spec: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(spec.trim());
  if (!m) throw new Error(`"${spec}" is not a duration (e.g. 10m)`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
