/**
 * JetStream publishers for SMS and push (gateways consume `outbox.*`), domain events and the
 * account history. Each publish carries the caller's de-duplication id as the message id, so the
 * stream stores a retried message once.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { createHash } from 'node:crypto';
import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { DomainEvent, EventPublisher, History, HistoryEntry, LinkedServiceMessage, LinkedServices, PushMessage, PushSender, SmsMessage, SmsSender, StoredHistoryEntry } from '../../ports';
import { STREAMS, SUBJECTS } from './resources';

async function publishOnce(js: JetStreamClient, subject: string, body: unknown, dedupId: string): Promise<void> {
  await js.publish(subject, JSON.stringify(body), { msgID: dedupId });
}

/**
 * SMS go to the outbox stream; each one's stream sequence is indexed by its id (`sms_sent`), so a
 * delivery report, which names only the id, finds the message the portal really sent (CH-1).
 */
export class JetStreamSms implements SmsSender {
  constructor(
    private readonly js: JetStreamClient,
    private readonly sent: KV,
  ) {}
  async send(message: SmsMessage, dedupId: string): Promise<void> {
    // A retried publish is a duplicate whose ack names the first copy's sequence: the index stays right.
    const ack = await this.js.publish(SUBJECTS.sms, JSON.stringify({ ...message, id: dedupId, at: new Date().toISOString() }), { msgID: dedupId });
    await this.sent.put(sentSmsKey(dedupId), String(ack.seq));
  }
}

export type SentSms = SmsMessage & { id: string };

/** KV keys allow few characters, and ids carry account ids: the index is keyed by a hash of the id. */
const sentSmsKey = (id: string) => createHash('sha256').update(id).digest('hex');

/** Finds an SMS the portal sent by its id, or undefined (an id it never sent). */
export async function findSentSms(sent: KV, jsm: JetStreamManager, id: string): Promise<SentSms | undefined> {
  const entry = await sent.get(sentSmsKey(id));
  const seq = entry?.operation === 'PUT' ? Number(entry.string()) : NaN;
  if (!Number.isSafeInteger(seq)) return undefined;
  const stored = await jsm.streams.getMessage(STREAMS.outbox.name, { seq }).catch(() => null);
  if (!stored || stored.subject !== SUBJECTS.sms) return undefined;
  const sms = stored.json<SentSms>();
  return sms.id === id ? sms : undefined;
}

export class JetStreamPush implements PushSender {
  constructor(private readonly js: JetStreamClient) {}
  async send(message: PushMessage, dedupId: string): Promise<void> {
    await publishOnce(this.js, SUBJECTS.push, { ...message, id: dedupId, at: new Date().toISOString() }, dedupId);
  }
}

export class JetStreamEvents implements EventPublisher {
  constructor(private readonly js: JetStreamClient) {}
  async publish(event: DomainEvent, dedupId: string): Promise<void> {
    await publishOnce(this.js, SUBJECTS.event(event.type), { ...event, id: dedupId }, dedupId);
  }
}

export class JetStreamHistory implements History {
  constructor(private readonly js: JetStreamClient) {}

  async append(accountId: string, entry: HistoryEntry, dedupId: string): Promise<void> {
    await publishOnce(this.js, SUBJECTS.history(accountId), entry, dedupId);
  }

  async list(accountId: string, opts: { limit?: number; beforeSeq?: number } = {}): Promise<StoredHistoryEntry[]> {
    const limit = opts.limit ?? 50;
    const all = await readSubject<HistoryEntry>(this.js, STREAMS.history.name, SUBJECTS.history(accountId));
    return all
      .filter((e) => opts.beforeSeq === undefined || e.seq < opts.beforeSeq)
      .reverse()
      .slice(0, limit)
      .map(({ seq, data }) => ({ ...data, seq }));
  }
}

/** Reads every message of one subject, oldest first, with an ordered consumer. */
export async function readSubject<T>(js: JetStreamClient, stream: string, subject: string): Promise<{ seq: number; data: T }[]> {
  const consumer = await js.consumers.get(stream, { filter_subjects: [subject] });
  const info = await consumer.info(true);
  let pending = info.num_pending;
  const out: { seq: number; data: T }[] = [];
  if (pending === 0) return out;
  const messages = await consumer.consume({ max_messages: Math.min(pending, 1000) });
  for await (const m of messages) {
    out.push({ seq: m.seq, data: m.json<T>() });
    pending = m.info.pending;
    if (pending === 0) break;
  }
  return out;
}

export class JetStreamLinkedServices implements LinkedServices {
  constructor(
    private readonly js: JetStreamClient,
    readonly names: readonly string[],
  ) {}
  async notify(service: string, message: LinkedServiceMessage, dedupId: string): Promise<void> {
    await publishOnce(this.js, SUBJECTS.linkedChange(service), { ...message, id: dedupId }, dedupId);
  }
}

export function natsPublishers(nc: NatsConnection, linkedServices: readonly string[], sentSms: KV) {
  const js = jetstream(nc);
  return {
    sms: new JetStreamSms(js, sentSms),
    push: new JetStreamPush(js),
    events: new JetStreamEvents(js),
    history: new JetStreamHistory(js),
    linked: new JetStreamLinkedServices(js, linkedServices),
  };
}
