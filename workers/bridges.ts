/**
 * NATS → Temporal and NATS → NATS bridges that run beside the worker: linked services'
 * acknowledgements become `linkedAck` signals, those of one sync within LINKED_ACK_BATCH_MS as one
 * signal (AFTER-1, issue 12), and gateways' delivery reports trigger the
 * push and e-mail fallback (CH-1). Durable consumers, so nothing is lost while a worker is down;
 * a message is acknowledged only after it was handled.
 */
import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { ActivityDeps } from '../activities';
import { BUCKETS, STREAMS, SUBJECTS } from '../activities/adapters/nats/resources';
import { deliveryReportSchema, handleDeliveryReport } from '../activities/delivery-fallback';
import { findSentSms } from '../activities/adapters/nats/publishers';
import { LINKED_ACK_MAX_SERVICES, LINKED_SERVICE_NAME_MAX, linkedAckSignal, linkedSyncWorkflowId, type LinkedAck } from '../workflows/after-change.defs';
import { ACCOUNT_ID_PATTERN, REQUEST_ID_PATTERN } from '../workflows/domain/schemas';
import { AckBatcher, DEFAULT_LINKED_ACK_BATCH_MS, type SyncRef } from './ack-batcher';

export interface BridgeOptions {
  nc: NatsConnection;
  client: Client;
  deps: ActivityDeps;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Which bridges to run (both by default). */
  run?: { linkedAcks?: boolean; deliveryReports?: boolean };
  /** Issue 12: how long a sync's first ack waits for the others (LINKED_ACK_BATCH_MS); 0: one signal per ack. */
  linkedAckBatchMs?: number;
}
/** Syncs whose acks are held at once; past this the oldest batch goes at once. */
const ACK_BATCHES_HELD = 32;

/**
 * On a cluster a durable consumer is made by a vote of its stream's replicas: on a busy machine
 * that outlasted the client's 5 s default and failed the worker's (and the tests') start.
 */
const CONSUMER_API_TIMEOUT_MS = 30_000;

/**
 * Linked services' acknowledgements are handled up to this many at once (issue 12), held ones
 * (waiting for their batch's signal) included: a change's five then reach its sync together (a
 * signal is idempotent there: a service acknowledged twice is acknowledged). Delivery reports stay
 * one at a time: two copies of a report must not race to send the same fallback.
 */
const ACKS_IN_FLIGHT = 64;

async function consume(nc: NatsConnection, stream: string, durable: string, subject: string, handle: (m: JsMsg) => Promise<void>, concurrency = 1): Promise<() => Promise<void>> {
  const jsm = await jetstreamManager(nc, { timeout: CONSUMER_API_TIMEOUT_MS });
  await jsm.consumers.add(stream, { durable_name: durable, filter_subject: subject, ack_policy: AckPolicy.Explicit, max_deliver: 20, ack_wait: 30_000_000_000 });
  const messages = await (await jetstream(nc, { timeout: CONSUMER_API_TIMEOUT_MS }).consumers.get(stream, durable)).consume();
  const inFlight = new Set<Promise<void>>();
  const one = async (m: JsMsg) => {
    try {
      await handle(m);
      m.ack();
    } catch {
      m.nak(1000);
    }
  };
  const done = (async () => {
    for await (const m of messages) {
      const p = one(m).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  })();
  return async () => {
    await messages.close().catch(() => undefined); // already closed with the connection
    await done;
  };
}

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}

const idHash = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 12);

/** AFTER-1: acks from `linked.<service>.ack` to the syncs, those of one sync within the window as one signal. */
async function linkedAckBridge(o: BridgeOptions): Promise<() => Promise<void>> {
  const signalAck = async (ref: SyncRef, ack: LinkedAck) => {
    try {
      await o.client.workflow.getHandle(linkedSyncWorkflowId(ref.accountId, ref.requestId)).signal(linkedAckSignal, ack);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      o.logger.warn({ services: 'services' in ack ? ack.services : [ack.service] }, 'linked-service ack for a sync that is over or unknown');
    }
  };
  const batchMs = o.linkedAckBatchMs ?? DEFAULT_LINKED_ACK_BATCH_MS;
  // 0: one signal per ack in the old form, as before issue 12's batching (and for a rolling
  // upgrade: a worker older than the `services` form acknowledges nothing from it).
  const batcher =
    batchMs > 0 ? new AckBatcher({ windowMs: batchMs, maxPerSync: LINKED_ACK_MAX_SERVICES, maxSyncs: ACK_BATCHES_HELD, send: (ref, services) => signalAck(ref, { services }) }) : undefined;
  const stopAcks = await consume(
    o.nc,
    STREAMS.linked.name,
    'linked-ack-bridge',
    SUBJECTS.linkedAcks,
    async (m) => {
      const service = m.subject.split('.')[1] ?? '';
      const ack = (parseJson(m.data) ?? {}) as { accountId?: unknown; requestId?: unknown };
      // Anyone may publish here (SEC-7): ids the sync could not have (a megabyte, say) are dropped
      // here, not sent to Temporal to be refused and then redelivered twenty times.
      if (typeof ack.accountId !== 'string' || typeof ack.requestId !== 'string' || !ACCOUNT_ID_PATTERN.test(ack.accountId) || !REQUEST_ID_PATTERN.test(ack.requestId))
        return o.logger.warn({ service }, 'linked-service ack without a valid accountId/requestId dropped');
      // The sync ignores a whole signal with a name out of bounds: one must not take the others of its batch with it.
      if (!service || service.length > LINKED_SERVICE_NAME_MAX) return o.logger.warn({ length: service.length }, 'linked-service ack with a service name out of bounds dropped');
      await (batcher ? batcher.add({ accountId: ack.accountId, requestId: ack.requestId }, service) : signalAck({ accountId: ack.accountId, requestId: ack.requestId }, { service }));
    },
    ACKS_IN_FLIGHT,
  );
  return async () => {
    // Held batches go now rather than after their window: the consumer waits for them.
    const stopped = stopAcks();
    batcher?.flushAll();
    await stopped;
  };
}

export async function startBridges(o: BridgeOptions): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  if (o.run?.linkedAcks !== false) stops.push(await linkedAckBridge(o));
  if (o.run?.deliveryReports !== false) {
    const sent = await new Kvm(jetstream(o.nc, { timeout: CONSUMER_API_TIMEOUT_MS })).open(BUCKETS.smsSent);
    const jsm = await jetstreamManager(o.nc, { timeout: CONSUMER_API_TIMEOUT_MS });
    const deps = { ...o.deps, findSentSms: (id: string) => findSentSms(sent, jsm, id) };
    stops.push(
      await consume(o.nc, STREAMS.outbox.name, 'sms-report-bridge', SUBJECTS.smsReport, async (m) => {
        const report = deliveryReportSchema.safeParse(parseJson(m.data));
        // Reports come from outside: one that is malformed or names an SMS never sent is dropped (logged without its content).
        if (!report.success) return o.logger.warn({ seq: m.seq }, 'malformed delivery report dropped');
        const outcome = await handleDeliveryReport(report.data, deps);
        if (outcome === 'unknown_sms') o.logger.warn({ seq: m.seq, idHash: idHash(report.data.id) }, 'delivery report for an SMS never sent dropped');
        if (outcome === 'fallback_sent') o.logger.info({ seq: m.seq }, 'undeliverable SMS notice sent by push and e-mail');
      }),
    );
  }
  return async () => {
    for (const stop of stops) await stop();
  };
}
