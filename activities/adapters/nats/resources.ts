/**
 * The JetStream streams and KV buckets the system uses, created idempotently at start-up.
 * De-duplication by message id works inside a stream's duplicate window, so the window is longer
 * than any activity's total retry time.
 */
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { MAX_WINDOW_MS } from '../../limits';
import { ConfigError } from '../../config-error';

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

/**
 * Creates what is missing with `replicas` copies each (NATS_REPLICAS). What exists already must
 * have as many: a stream made on one node and then served by a cluster would stay a single copy,
 * and NATS would not say so.
 */
export async function ensureNatsResources(nc: NatsConnection, replicas: number): Promise<NatsResources> {
  // A replicated stream is made by a vote of its nodes: on a busy cluster that takes longer than the default 5 s.
  const jsm = await jetstreamManager(nc, { timeout: 30_000 });
  await checkReplicas(jsm, replicas);
  for (const s of Object.values(STREAMS)) {
    const config: Partial<StreamConfig> & { name: string } = {
      name: s.name,
      subjects: [...s.subjects],
      storage: StorageType.File,
      duplicate_window: nanos(DAY_MS),
      num_replicas: replicas,
    };
    const found = await streamConfig(jsm, s.name);
    // Another worker starting at the same moment may add it between our look and our add.
    if (!found) await jsm.streams.add(config).catch(async (err: unknown) => ((await streamConfig(jsm, s.name)) ? undefined : Promise.reject(err)));
    // Updated only when it differs: an update needs the stream's leader, which a cluster may be electing.
    else if (found.subjects.join() !== s.subjects.join() || found.duplicate_window !== config.duplicate_window) await jsm.streams.update(s.name, config);
  }
  const kvm = new Kvm(jetstream(nc, { timeout: 30_000 }));
  // With more than one copy, reads go to the stream's leader: with direct gets (the library's
  // default) any replica answers, and one that has not applied the latest write yet answers with what
  // it had. Every read here decides something (a request id's holder, an account, a number's owner,
  // a limit before its compare-and-set) or follows its own write, so none may be stale. A single copy
  // cannot lag, and keeps the cheaper direct gets. The setting is this client's: a bucket an earlier
  // release made with direct gets keeps them on its stream, so that release's workers, which ask
  // for them, still get answers during a rolling upgrade (README "Beyond one machine").
  const file = { storage: StorageType.File, replicas, allow_direct: replicas === 1 };
  return {
    accounts: await kvm.create(BUCKETS.accounts, { history: 5, ...file }),
    phoneIndex: await kvm.create(BUCKETS.phoneIndex, { history: 1, ...file }),
    mailSent: await kvm.create(BUCKETS.mailSent, { history: 1, ttl: 7 * DAY_MS, ...file }),
    smsSent: await kvm.create(BUCKETS.smsSent, { history: 1, ttl: 7 * DAY_MS, ...file }),
    limits: await kvm.create(BUCKETS.limits, { history: 1, ttl: MAX_WINDOW_MS, ...file }),
    requestIds: await kvm.create(BUCKETS.requestIds, { history: 1, ...file }),
    // Kept far longer than a credential may live (MAX_TTL_BOUND_MS, one hour), so none is spent twice.
    spentCredentials: await kvm.create(BUCKETS.spentCredentials, { history: 1, ttl: DAY_MS, ...file }),
  };
}

async function streamConfig(jsm: JetStreamManager, name: string): Promise<StreamConfig | undefined> {
  try {
    return (await jsm.streams.info(name)).config;
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined;
    throw err;
  }
}

/** Every existing stream and bucket against NATS_REPLICAS, all differences in one message. */
async function checkReplicas(jsm: JetStreamManager, replicas: number): Promise<void> {
  const names = [...Object.values(STREAMS).map((s) => ({ what: `stream ${s.name}`, stream: s.name })), ...Object.values(BUCKETS).map((b) => ({ what: `bucket ${b}`, stream: `KV_${b}` }))];
  const wrong: string[] = [];
  for (const n of names) {
    const found = (await streamConfig(jsm, n.stream))?.num_replicas;
    if (found !== undefined && found !== replicas) wrong.push(`  ${n.what}: ${found} replica(s)`);
  }
  if (!wrong.length) return;
  throw new ConfigError(
    `invalid configuration:\n  NATS_REPLICAS: ${replicas}, but NATS already holds these with another count:\n${wrong.join('\n')}\n` +
      `  Set NATS_REPLICAS to what the servers hold, or change the streams first (nats stream edit <stream> --replicas ${replicas}; a bucket's stream is KV_<bucket>).`,
  );
}
