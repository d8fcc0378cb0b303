/**
 * Per-file integration harness: a real SMTP sink, NATS adapters, a Temporal client and a worker on
 * a task queue of its own, plus readers of what the system sent (SMS outbox, events, mail).
 */
import { createHash, randomUUID } from 'node:crypto';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../../temporal-config/smtp-sink';
import { openServices, type Services } from '../../workers/services';
import { natsServers } from '../../workers/config';
import { createPhoneChangeWorker } from '../../workers/worker';
import { startBridges } from '../../workers/bridges';
import { PhoneChangeClient } from '../../client/phone-change-client';
import { AesGcmCodec, type CodecKey } from '../../activities/adapters/payload-codec';
import { registerAccount } from '../../activities/accounts';
import type { Account, DomainEvent, SmsMessage } from '../../activities/ports';
import { STREAMS, SUBJECTS } from '../../activities/adapters/nats/resources';
import { deriveProofKeys, hashIdentity, type IdentityData } from '../../activities/codes';
import { passwordPublicKey } from '../../activities/adapters/password-seal';
import type { ChangeRef, IdentityVerdict, OperatorRole } from '../../workflows/phone-change.defs';
import { resolvePolicy, type Policy } from '../../workflows/domain/policy';
import type { ActivityDeps } from '../../activities';
import type { Limits } from '../../activities/ports';

/** Resolves with what `p` rejects with, or undefined when it fulfils: for asserting on typed errors. */
export const refusal = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
}

/** Pulls expire after 5 s, so heartbeats come every 2.5 s and a lost pull is noticed within seconds. */
const TAIL_PULL_EXPIRES_MS = 5000;
/** The cluster run measures how long a JetStream request may take (tests/support/cluster-setup.ts); the client's 5 s otherwise. */
const natsApiTimeout = () => inject('natsApiTimeoutMs') ?? 5000;

/**
 * Collects every message of a stream subject from the start, de-duplicated as the stream stores
 * them, in stream order. Its consumer has as many replicas as the stream: an ordered consumer
 * (one replica, on one node) stopped for as long as its node was down, and a test waiting for an
 * SMS published meanwhile waited for the node instead. Messages are acknowledged, so a delivery
 * lost with a node comes again; the stream sequence keeps each one once.
 */
export class StreamTail<T> {
  readonly items: T[] = [];
  private readonly seqs: number[] = [];
  lastSeq = 0;
  private stopFn?: () => void;
  private settledFn?: () => Promise<boolean>;
  static async start<T>(nc: NatsConnection, stream: string, subject: string): Promise<StreamTail<T>> {
    const tail = new StreamTail<T>();
    const timeout = natsApiTimeout();
    const jsm = await jetstreamManager(nc, { timeout });
    const replicas = (await jsm.streams.info(stream)).config.num_replicas;
    const name = `tail-${randomUUID()}`;
    await jsm.consumers.add(stream, {
      name,
      filter_subject: subject,
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(5000),
      num_replicas: replicas,
      inactive_threshold: nanos(5 * 60_000),
    });
    const consumer = await jetstream(nc, { timeout }).consumers.get(stream, name);
    const messages = await consumer.consume({ expires: TAIL_PULL_EXPIRES_MS });
    tail.stopFn = () => {
      void messages.stop();
      jsm.consumers.delete(stream, name).catch(() => undefined);
    };
    tail.settledFn = async () => {
      const info = await consumer.info();
      return info.num_pending === 0 && info.num_ack_pending === 0;
    };
    void (async () => {
      for await (const m of messages) {
        tail.add(m.seq, m.json<T>());
        m.ack();
      }
    })();
    return tail;
  }
  private add(seq: number, item: T): void {
    if (seq > this.lastSeq) {
      this.seqs.push(seq);
      this.items.push(item);
      this.lastSeq = seq;
      return;
    }
    // Redelivered after a lost node: once, in its place.
    const at = this.seqs.findIndex((s) => s >= seq);
    if (this.seqs[at] === seq) return;
    this.seqs.splice(at, 0, seq);
    this.items.splice(at, 0, item);
  }
  /** Everything the stream holds on the subject has been received (nothing pending or unacknowledged). */
  settled(): Promise<boolean> {
    return this.settledFn?.() ?? Promise.resolve(true);
  }
  stop(): void {
    this.stopFn?.();
  }
}

export interface Harness {
  client: PhoneChangeClient;
  /** The policy of this file's own worker. */
  policy: Policy;
  temporal: Client;
  services: Services;
  smtp: SmtpSink;
  worker?: Worker;
  taskQueue: string;
  sms: StreamTail<SmsMessage & { id: string }>;
  events: StreamTail<DomainEvent & { id: string }>;
  newAccount(overrides?: Partial<Account>): Promise<Account>;
  freshPhone(): string;
  /** Waits for the `n`-th SMS (1-based) to `to` of a kind and returns the 6-digit code in it. */
  codeSentTo(to: string, n?: number): Promise<string>;
  /** Waits for the `n`-th SMS to `to` carrying a link of `kind` and returns the link's token. */
  linkTokenSentTo(to: string, kind: 'identity_link' | 'requested', n?: number): Promise<string>;
  /** A whole change through `client` (default: this harness's, identity check off): both codes, then the outcome. */
  completeChange(account: Account, newPhone: string, client?: PhoneChangeClient): Promise<ChangeRef>;
  /**
   * SEC-7: policy is the worker's configuration, never a caller's: a client whose changes run on a
   * worker of this file configured with `policy` (over the test defaults).
   */
  clientWith(policy: Partial<Policy>): Promise<PhoneChangeClient>;
  /** SEC-2: follows the identity link and confirms the profile's data. */
  passIdentity(account: Account, identity?: IdentityData): Promise<IdentityVerdict>;
  smsTo(to: string): (SmsMessage & { id: string })[];
  /** Waits until the SMS tail holds everything the stream has stored so far (before asserting on counts). */
  smsSettled(): Promise<void>;
  close(): Promise<void>;
}

// Test files run in several processes against one Temporal server: they share their keys (a
// bridge in one process may signal a workflow whose worker runs in another).
const testKey = (name: string) => createHash('sha256').update(`phone-change-test-${name}`).digest();
export const MASTER_KEY = testKey('master');
/** SEC-5: the worker's keys; tests use them only to set up registry data, as a back office would. */
export const PROOF_KEYS = deriveProofKeys(MASTER_KEY);
/** The policy of a harness's own worker unless a test asks for another: the identity check off. */
export const TEST_POLICY: Partial<Policy> = { identityCheck: false };

/** The operators' identity provider of this test process: its key pair signs operator credentials. */
const operatorKeys = await generateKeyPair('ES256', { extractable: true });
export const OPERATOR_PUBLIC_KEY = await exportSPKI(operatorKeys.publicKey);
export const OPERATOR_ISSUER = 'test-idp';
export const OPERATOR_AUDIENCE = 'phone-change';

/** The claims a test may leave out of an operator credential, to forge a malformed one. */
export type OperatorClaim = 'sub' | 'exp' | 'iat' | 'jti' | 'account_id' | 'request_id' | 'action';

/** What an operator credential names; tests vary it to forge, expire, mis-bind or under-privilege one. */
export interface OperatorTokenOptions {
  account: string;
  requestId: string;
  action?: OperatorRole;
  sub?: string;
  name?: string;
  /** The action alone when absent. */
  roles?: string[];
  /** Fresh when absent; give one to replay it. */
  jti?: string;
  /** Seconds since the epoch; now when absent. */
  iat?: number;
  /** Seconds from `iat` to `exp`: 300 when absent, negative for an expired one. */
  expiresIn?: number;
  issuer?: string;
  key?: CryptoKey;
  omit?: OperatorClaim[];
}

/** Mints an operator credential (JWT) bound to one account, change and action (SEC-6). */
export async function operatorToken(o: OperatorTokenOptions): Promise<string> {
  const action = o.action ?? 'support:override';
  const iat = o.iat ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    roles: o.roles ?? [action],
    ...(o.name ? { name: o.name } : {}),
    sub: o.sub ?? 'op-17',
    iat,
    exp: iat + (o.expiresIn ?? 300),
    jti: o.jti ?? randomUUID(),
    account_id: o.account,
    request_id: o.requestId,
    action,
  };
  for (const c of o.omit ?? []) delete claims[c];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(o.issuer ?? OPERATOR_ISSUER)
    .setAudience(OPERATOR_AUDIENCE)
    .sign(o.key ?? operatorKeys.privateKey);
}
/** SEC-4: the test run's payload keys: a current one and an older one still configured. */
export const PAYLOAD_KEYS: CodecKey[] = [
  { id: 'k2', key: testKey('payload-k2') },
  { id: 'k1', key: testKey('payload-k1') },
];
export const LINKED_SERVICES = ['sms_subscriptions', 'two_factor_login', 'bank_cards', 'e_service_subscriptions', 'mobile_app'];
/** The identity data every test account's profile holds. */
export const DEFAULT_IDENTITY: IdentityData = { fullName: 'Иванова Анна Сергеевна', passport: '4510 123456' };

export interface HarnessOptions {
  startWorker?: boolean;
  deliveryReports?: boolean;
  /** Limits against abuse for this file's worker (defaults otherwise). */
  limits?: Limits;
  /** Wraps the worker's adapters (e.g. to inject a failure after a send). */
  wrapDeps?: (deps: ActivityDeps) => ActivityDeps;
  /** The policy of this file's worker (over the defaults; TEST_POLICY when absent). */
  policy?: Partial<Policy>;
  /** A NATS server of the file's own (fault tests stop it); the shared one otherwise. */
  natsUrl?: string;
  /** Options of the file's SMTP sink (fault tests hold a transaction to kill the client there). */
  smtp?: SmtpSinkOptions;
  /** Run the linked-ack bridge (default true); a file on a NATS server of its own may run its own bridges instead. */
  linkedAcks?: boolean;
  /** A Temporal server of the file's own; the shared one otherwise. */
  temporalAddress?: string;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const taskQueue = `test-${randomUUID()}`;
  const smtp = await startSmtpSink(opts.smtp);
  const services = await openServices({
    nats: { servers: natsServers(opts.natsUrl ?? inject('natsUrl')), replicas: inject('natsReplicas') ?? 1 },
    smtpUrl: smtp.url,
    mailFrom: 'no-reply@phone-change.test',
    linkedServices: LINKED_SERVICES,
    operators: { publicKeyPem: OPERATOR_PUBLIC_KEY, issuer: OPERATOR_ISSUER, audience: OPERATOR_AUDIENCE },
    limits: opts.limits,
    proofKeys: PROOF_KEYS,
    policy: resolvePolicy(opts.policy ?? TEST_POLICY),
    links: { journal: 'https://portal.test/journal', reject: 'https://portal.test/not-me', identity: 'https://portal.test/identity' },
  });
  const temporalAddress = opts.temporalAddress ?? inject('temporalAddress');
  const connection = await Connection.connect({ address: temporalAddress });
  // As every worker and client process has it (workers/config.ts payloadCodec): an unreadable payload reads as null (hole 5).
  const codec = new AesGcmCodec(PAYLOAD_KEYS, { refuseUnreadable: true });
  const temporal = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  const deps = opts.wrapDeps ? opts.wrapDeps(services.deps) : services.deps;
  const workerOn = (queue: string, policy: Policy) =>
    createPhoneChangeWorker({ connection: nativeConnection, namespace: 'default', taskQueue: queue, deps: { ...deps, policy }, codec, workflowBundle: { codePath: inject('workflowBundlePath') } });
  const worker = opts.startWorker === false ? undefined : await workerOn(taskQueue, services.deps.policy);
  const running = worker?.run();
  const extra = new Map<string, { client: PhoneChangeClient; worker: Worker; running: Promise<void> }>();
  // Acks can be handled by any test file's bridge (they only signal); delivery reports send mail,
  // so only the file that tests them runs that bridge, and its mail reaches its own SMTP server.
  const stopBridges = await startBridges({
    nc: services.nc,
    client: temporal,
    deps: services.deps,
    logger: { warn: () => undefined, info: () => undefined } as never,
    run: { linkedAcks: opts.linkedAcks !== false, deliveryReports: opts.deliveryReports === true },
  });
  const sms = await StreamTail.start<SmsMessage & { id: string }>(services.nc, STREAMS.outbox.name, SUBJECTS.sms);
  const events = await StreamTail.start<DomainEvent & { id: string }>(services.nc, STREAMS.events.name, 'phone.change.>');
  const client = new PhoneChangeClient({ client: temporal, taskQueue, history: services.deps.history });

  const smsTo = (to: string) => sms.items.filter((m) => m.to === to);
  const codeSentTo = async (to: string, n = 1) => {
    const m = await eventually(() => smsTo(to).filter((x) => x.kind.startsWith('code_'))[n - 1], `code SMS #${n}`);
    const code = /\b(\d{6})\b/.exec(m.text)?.[1];
    if (!code) throw new Error('no code in the SMS');
    return code;
  };
  const linkTokenSentTo = async (to: string, kind: string, n = 1) => {
    const m = await eventually(() => smsTo(to).filter((x) => x.kind === kind)[n - 1], `${kind} SMS #${n}`);
    // Links end in /<accountId>/<token>.
    const token = /\/[A-Za-z0-9_-]+\/([A-Za-z0-9_-]{16})(?![A-Za-z0-9_-])/.exec(m.text)?.[1];
    if (!token) throw new Error(`no token in the ${kind} SMS`);
    return token;
  };
  return {
    client,
    policy: services.deps.policy,
    temporal,
    services,
    smtp,
    worker,
    taskQueue,
    sms,
    events,
    freshPhone,
    smsTo,
    async smsSettled() {
      await eventually(() => sms.settled(), 'the SMS tail to catch up');
    },
    async newAccount(overrides = {}) {
      const account: Account = {
        accountId: `acct-${randomUUID().slice(0, 12)}`,
        phone: freshPhone(),
        phoneConfirmed: true,
        email: `citizen-${randomUUID().slice(0, 8)}@example.test`,
        verified: true,
        language: 'ru',
        ...overrides,
      };
      account.identityHash ??= hashIdentity(PROOF_KEYS.identity, account.accountId, DEFAULT_IDENTITY);
      await registerAccount(services.deps.registry, account);
      return account;
    },
    codeSentTo,
    linkTokenSentTo,
    async completeChange(account, newPhone, via = client) {
      // The old number may have had codes before (an earlier change): take the next one.
      const before = smsTo(account.phone).filter((x) => x.kind.startsWith('code_')).length;
      const ref = await via.start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
      const old = await codeSentTo(account.phone, before + 1);
      await via.submitCode(account.accountId, 'old', old);
      const code = await codeSentTo(newPhone);
      await via.submitCode(account.accountId, 'new', code);
      const result = await via.result(account.accountId);
      if (result.state !== 'completed') throw new Error(`change ended ${result.state}`);
      return ref;
    },
    async passIdentity(account, identity = DEFAULT_IDENTITY) {
      const token = await linkTokenSentTo(account.phone, 'identity_link');
      return client.confirmIdentity(account.accountId, { token, ...identity });
    },
    async clientWith(policy) {
      const key = JSON.stringify(policy);
      let e = extra.get(key);
      if (!e) {
        const queue = `${taskQueue}-${extra.size + 1}`;
        const w = await workerOn(queue, resolvePolicy({ ...TEST_POLICY, ...policy }));
        e = { worker: w, running: w.run(), client: new PhoneChangeClient({ client: temporal, taskQueue: queue, history: services.deps.history }) };
        extra.set(key, e);
      }
      return e.client;
    },
    async close() {
      for (const e of extra.values()) {
        e.worker.shutdown();
        await e.running;
      }
      await stopBridges();
      sms.stop();
      events.stop();
      if (worker && running) {
        worker.shutdown();
        await running;
      }
      await nativeConnection.close();
      await connection.close();
      await services.close();
      await smtp.close();
    },
  };
}

/** A code that differs from `code`. */
export function wrongCode(code: string): string {
  return ((Number(code) + 1) % 1e6).toString().padStart(6, '0');
}

/** The environment for a worker or CLI process (`workers/main.ts`, `client/cli.ts`) on this harness's servers and keys. */
export function processEnv(h: Pick<Harness, 'taskQueue' | 'smtp' | 'policy'>, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: h.taskQueue,
    NATS_URL: inject('natsUrl'),
    NATS_REPLICAS: String(inject('natsReplicas') ?? 1),
    SMTP_URL: h.smtp.url,
    PROOF_MASTER_KEY: MASTER_KEY.toString('base64'),
    POLICY: JSON.stringify(h.policy),
    PAYLOAD_KEYS: PAYLOAD_KEYS.map((k) => `${k.id}:${k.key.toString('base64')}`).join(','),
    OPERATOR_JWT_PUBLIC_KEY: OPERATOR_PUBLIC_KEY,
    OPERATOR_JWT_ISSUER: OPERATOR_ISSUER,
    // REC-1, REC-2: the client CLI holds no proof key, so it is given the worker's public password key.
    PASSWORD_PUBLIC_KEY: passwordPublicKey(PROOF_KEYS.passwords).toString('base64'),
    // Delivery reports send mail: only the file that tests them handles them.
    BRIDGES: 'linked_acks',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** A random number in a Moscow mobile range (+7 916 ...), unique enough for one test run. */
export function freshPhone(): string {
  return `+7916${Math.floor(Math.random() * 1e7)
    .toString()
    .padStart(7, '0')}`;
}
