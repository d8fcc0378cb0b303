/**
 * The activity proxies every workflow uses, with the retry policy of each group stated once.
 * Activities heartbeat while they run (activities/context.ts), so an attempt cut by a worker
 * crash is retried after the heartbeat timeout, not after the whole start-to-close timeout.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PhoneChangeActivities } from '../activities';
import { nonRetryableErrorTypes } from './domain/errors';

/** Registry reads and writes are idempotent (compare-and-set, own-claim detection): retry briskly. */
export const registry = proxyActivities<PhoneChangeActivities>({
  startToCloseTimeout: '10 seconds',
  heartbeatTimeout: '3 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes },
});

/**
 * Sends are de-duplicated by id, so a retry never reaches the citizen twice; the pace stays gentle
 * because a gateway that is down is not helped by hammering it.
 */
export const messaging = proxyActivities<PhoneChangeActivities>({
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout: '3 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30, nonRetryableErrorTypes },
});

/** The account check as a local activity: no side effect but the limiter's count, and a server round trip saved. */
export const registryLocal = proxyLocalActivities<PhoneChangeActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes },
});

/**
 * SEC-5: proofs are judged by the worker, which alone holds the keys; local, since a verdict has
 * no side effect and the citizen is waiting for it.
 */
export const proofs = proxyLocalActivities<PhoneChangeActivities>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '100 ms', backoffCoefficient: 2, maximumInterval: '5 seconds', nonRetryableErrorTypes },
});
