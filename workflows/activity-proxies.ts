/**
 * The activity proxies every workflow uses, with the retry policy of each group stated once. Each
 * proxy is typed to its own activities (issue 11, point 3): a registry write cannot be called
 * through the messaging proxy's gentle 30-attempt policy, nor a send through a local proxy by
 * mistake. Activities heartbeat while they run (activities/context.ts), so an attempt cut by a
 * worker crash is retried after the heartbeat timeout, not after the whole start-to-close timeout.
 *
 * Regular or local (README "Figures"): a local activity costs the change one history event and no
 * workflow task of its own, but it has no heartbeat, no visibility while it runs and it holds the
 * workflow task; so what is short and de-duplicated runs locally, and what may retry for minutes
 * (a gateway down), waits on other systems (linked services) or is rare runs as a regular one.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PhoneChangeActivities as All } from '../activities';
import { nonRetryableErrorTypes } from './domain/errors';

/** Registry reads and writes are idempotent (compare-and-set, own-claim detection): retry briskly. */
export const registry = proxyActivities<Pick<All, 'bindPhone' | 'verifyOperator' | 'useRecoveryCode' | 'revertPhone' | 'loadContacts'>>({
  startToCloseTimeout: '10 seconds',
  heartbeatTimeout: '3 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes },
});

/**
 * Sends are de-duplicated by id, so a retry never reaches the citizen twice; the pace stays gentle
 * because a gateway that is down is not helped by hammering it.
 */
export const messaging = proxyActivities<Pick<All, 'sendCode' | 'sendIdentityLink' | 'notify' | 'announceToLinkedServices' | 'recordHistory' | 'startLinkedSync'>>({
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout: '3 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30, nonRetryableErrorTypes },
});

/**
 * The account check and the binding as local activities: no side effect but the limiter's count
 * and a compare-and-set write that recognises its own earlier attempt (registry-doubt test), each a
 * few milliseconds; a server round trip saved each.
 */
export const registryLocal = proxyLocalActivities<Pick<All, 'loadAccount' | 'openChange' | 'bindPhone' | 'settleBinding'>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes },
});

/**
 * SEC-5: proofs are judged by the worker, which alone holds the keys; local, since a verdict has
 * no side effect and the citizen is waiting for it.
 */
export const proofs = proxyLocalActivities<Pick<All, 'workerPolicy' | 'verifyCode' | 'verifyToken' | 'verifyIdentity'>>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '100 ms', backoffCoefficient: 2, maximumInterval: '5 seconds', nonRetryableErrorTypes },
});

/**
 * What goes out together (v7), as one local activity: every item is tried once and its outcome
 * told (the activity catches per item), so this never waits on a gateway that is down; an item
 * that failed retryably goes again alone through `messaging`. Retried here only for a fault of
 * the activity itself, briefly, so the workflow task is not held.
 */
export const outgoing = proxyLocalActivities<Pick<All, 'deliver'>>({
  startToCloseTimeout: '15 seconds',
  localRetryThreshold: '1 second',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '2 seconds', maximumAttempts: 3, nonRetryableErrorTypes },
});

/**
 * The linked-service sync's announcements and its record (v7), local: each service's message has
 * its id per round, so a retry reaches nobody twice; a service that is down is the sync's own
 * reminder loop's business, so retries here stay brief.
 */
export const messagingLocal = proxyLocalActivities<Pick<All, 'announceToLinkedServices' | 'recordHistory'>>({
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 30, nonRetryableErrorTypes },
});

/**
 * SIG-1: the mobile operator's SIM-swap check, local: one marker in history instead of three
 * events, and no server round trip (the check runs on every change). The adapter retries within its
 * own timeouts; two tries of the whole check at most, so a slow operator never holds the change up for long.
 */
export const operatorChecks = proxyLocalActivities<Pick<All, 'checkOldSim'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 2, nonRetryableErrorTypes },
});
