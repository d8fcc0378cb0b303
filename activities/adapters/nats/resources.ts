/**
 * The JetStream streams and KV buckets the system uses, created idempotently at start-up.
 * De-duplication by message id works inside a stream's duplicate window, so the window is longer
 * than any activity's total retry time.
 */
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { MAX_WINDOW_MS } from '../../limits';

export const STREAMS = {
  events: { name: 'PHONE_CHANGE_EVENTS', subjects: ['phone.change.>'] },
  outbox: { name: 'OUTBOX', subjects: ['outbox.>'] },
  history: { name: 'ACCOUNT_HISTORY', subjects: ['history.>'] },
  linked: { name: 'LINKED_SERVICES', subjects: ['linked.>'] },
} as const;

export const SUBJECTS = {
  sms: 'outbox.sms',
  push: 'outbox.push',
  event: (type: string) => `phone.change.${type}`,
  history: (accountId: string) => `history.${accountId}`,
  /** AFTER-1: a linked service's feed of number changes, and where it acknowledges. */
  linkedChange: (service: string) => `linked.${service}.phone_changed`,
  linkedAck: (service: string) => `linked.${service}.ack`,
  linkedAcks: 'linked.*.ack',
  /** CH-1: SMS gateways report delivery here (`{ id, status: 'delivered' | 'undeliverable' }`, the id of the SMS they were given). */
  smsReport: 'outbox.sms.report',
} as const;

export const BUCKETS = {
  accounts: 'accounts',
  phoneIndex: 'phone_index',
  mailSent: 'mail_sent',
  limits: 'limits',
  smsSent: 'sms_sent',
  requestIds: 'request_ids',
  spentCredentials: 'spent_credentials',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface NatsResources {
  accounts: KV;
  phoneIndex: KV;
  mailSent: KV;
  /** PRE-4, AFTER-3: request id -> the change (workflow run) it names. */
  requestIds: KV;
  /** One record per limit scope and key: the events inside its window. */
  limits: KV;
  /** CH-1: id of every SMS sent → its sequence in the outbox stream, for delivery reports. */
  smsSent: KV;
  /** SEC-6: ids of operator credentials used already. */
  spentCredentials: KV;
}

export async function ensureNatsResources(nc: NatsConnection): Promise<NatsResources> {
  const jsm = await jetstreamManager(nc);
  for (const s of Object.values(STREAMS)) {
    const config: Partial<StreamConfig> & { name: string } = {
      name: s.name,
      subjects: [...s.subjects],
      storage: StorageType.File,
      duplicate_window: nanos(DAY_MS),
    };
    try {
      await jsm.streams.info(s.name);
      await jsm.streams.update(s.name, config);
    } catch {
      await jsm.streams.add(config);
    }
  }
  const kvm = new Kvm(nc);
  return {
    accounts: await kvm.create(BUCKETS.accounts, { history: 5, storage: StorageType.File }),
    phoneIndex: await kvm.create(BUCKETS.phoneIndex, { history: 1, storage: StorageType.File }),
    mailSent: await kvm.create(BUCKETS.mailSent, { history: 1, ttl: 7 * DAY_MS, storage: StorageType.File }),
    smsSent: await kvm.create(BUCKETS.smsSent, { history: 1, ttl: 7 * DAY_MS, storage: StorageType.File }),
    limits: await kvm.create(BUCKETS.limits, { history: 1, ttl: MAX_WINDOW_MS, storage: StorageType.File }),
    requestIds: await kvm.create(BUCKETS.requestIds, { history: 1, storage: StorageType.File }),
    // Kept far longer than a credential may live (MAX_TTL_BOUND_MS, one hour), so none is spent twice.
    spentCredentials: await kvm.create(BUCKETS.spentCredentials, { history: 1, ttl: DAY_MS, storage: StorageType.File }),
  };
}
