/** Limits against abuse and their shared counter's port (re-exported by ports.ts, where every port is found). */

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
