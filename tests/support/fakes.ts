/**
 * In-memory fakes of every port in activities/ports.ts, for activity tests (MockActivityEnvironment)
 * and anything else that needs the outside world without servers. Each declares the port it
 * implements, so the compiler checks it against the contract, and tests/contract runs the same
 * suite against it and the real adapter: a fake that passes is as good a stand-in as the tests need.
 * Like JetStream, each sender keeps one message per de-duplication id.
 */
import type {
  Account,
  ActivityDeps,
  ContactRegistry,
  DomainEvent,
  EventPublisher,
  History,
  HistoryEntry,
  Limit,
  LimitScope,
  LinkedServiceMessage,
  LinkedServices,
  MailMessage,
  Mailer,
  OperatorBinding,
  OperatorVerifier,
  PushMessage,
  PushSender,
  RateLimiter,
  SentMarkers,
  SmsMessage,
  SmsSender,
  SpentCredentials,
  StoredHistoryEntry,
  VerifiedOperator,
  Versioned,
} from '../../activities/ports';
import { casConflict } from '../../activities/compare-and-set';
import { defaultLimits, slideWindow, type WindowEvent } from '../../activities/limits';
import { deriveProofKeys } from '../../activities/codes';
import { resolvePolicy } from '../../workflows/domain/policy';
import { OperatorCredentialError } from '../../workflows/domain/errors';

/** Messages kept once per de-duplication id, in the order first sent. */
export class Outbox<M> {
  readonly sent: (M & { id: string })[] = [];
  async send(message: M, dedupId: string): Promise<void> {
    if (!this.sent.some((m) => m.id === dedupId)) this.sent.push({ ...message, id: dedupId });
  }
}

export class FakeSms extends Outbox<SmsMessage> implements SmsSender {}
export class FakePush extends Outbox<PushMessage> implements PushSender {}
export class FakeMailer extends Outbox<MailMessage> implements Mailer {}

export class FakeEvents extends Outbox<DomainEvent> implements EventPublisher {
  publish(event: DomainEvent, dedupId: string): Promise<void> {
    return this.send(event, dedupId);
  }
}

export class FakeLinkedServices extends Outbox<LinkedServiceMessage & { service: string }> implements LinkedServices {
  constructor(readonly names: readonly string[] = ['sms_subscriptions', 'bank_cards']) {
    super();
  }
  notify(service: string, message: LinkedServiceMessage, dedupId: string): Promise<void> {
    return this.send({ ...message, service }, dedupId);
  }
}

export class FakeHistory implements History {
  private readonly entries: (StoredHistoryEntry & { accountId: string; id: string })[] = [];
  async append(accountId: string, entry: HistoryEntry, dedupId: string): Promise<void> {
    if (!this.entries.some((e) => e.id === dedupId)) this.entries.push({ ...entry, accountId, id: dedupId, seq: this.entries.length + 1 });
  }
  async list(accountId: string, opts: { limit?: number; beforeSeq?: number } = {}): Promise<StoredHistoryEntry[]> {
    return this.entries
      .filter((e) => e.accountId === accountId && (opts.beforeSeq === undefined || e.seq < opts.beforeSeq))
      .reverse()
      .slice(0, opts.limit ?? 50)
      .map(({ accountId: _a, id: _i, ...e }) => e);
  }
}

/** The registry as NATS KV behaves: one revision counter for every write, create fails on an existing key. */
export class FakeRegistry implements ContactRegistry {
  private revision = 0;
  readonly accounts = new Map<string, Versioned<Account>>();
  readonly index = new Map<string, string>();
  readonly requestIds = new Map<string, string>();

  async getAccount(accountId: string): Promise<Versioned<Account> | undefined> {
    const found = this.accounts.get(accountId);
    return found && structuredClone(found);
  }
  async putAccount(account: Account, expectedRevision: number): Promise<number> {
    if ((this.accounts.get(account.accountId)?.revision ?? 0) !== expectedRevision) throw casConflict('the account record changed since it was read', 'accountId');
    this.accounts.set(account.accountId, { value: structuredClone(account), revision: ++this.revision });
    return this.revision;
  }
  async ownerOf(phone: string): Promise<string | undefined> {
    return this.index.get(phone);
  }
  async claimPhone(phone: string, accountId: string): Promise<string> {
    return claim(this.index, phone, accountId);
  }
  async releasePhone(phone: string, accountId: string): Promise<void> {
    if (this.index.get(phone) === accountId) this.index.delete(phone);
  }
  async claimRequestId(requestId: string, holder: string): Promise<string> {
    return claim(this.requestIds, requestId, holder);
  }
}

function claim(map: Map<string, string>, key: string, holder: string): string {
  if (!map.has(key)) map.set(key, holder);
  return map.get(key)!;
}

export class FakeSentMarkers implements SentMarkers {
  readonly marked = new Set<string>();
  async has(key: string): Promise<boolean> {
    return this.marked.has(key);
  }
  async mark(key: string): Promise<void> {
    this.marked.add(key);
  }
}

export class FakeSpentCredentials implements SpentCredentials {
  private readonly spent = new Map<string, string>();
  async spend(id: string, spender: string): Promise<boolean> {
    return claim(this.spent, id, spender) === spender;
  }
}

/** The same sliding-window rule as the KV limiter (activities/limits.ts slideWindow). */
export class FakeRateLimiter implements RateLimiter {
  readonly windows = new Map<string, WindowEvent[]>();
  async admit(scope: LimitScope, key: string, limit: Limit, eventId: string): Promise<number | undefined> {
    const decided = slideWindow(this.windows.get(`${scope}.${key}`) ?? [], eventId, limit, Date.now());
    if (!('events' in decided)) return decided.retryAfterMs;
    this.windows.set(`${scope}.${key}`, decided.events);
    return undefined;
  }
}

/** What a fake credential stands for: a signed JWT's claims in the real verifier. */
export interface FakeCredential {
  operator: VerifiedOperator;
  accountId: string;
  requestId: string;
  action: OperatorBinding['action'];
}

/** Credentials are opaque ids issued by `issue`; bound and spent once as the JWT verifier does. */
export class FakeOperatorVerifier implements OperatorVerifier {
  private readonly issued = new Map<string, FakeCredential>();
  constructor(private readonly spent: SpentCredentials = new FakeSpentCredentials()) {}

  issue(credential: FakeCredential): string {
    const id = `fake-credential-${this.issued.size + 1}`;
    this.issued.set(id, credential);
    return id;
  }

  async verify(credential: string, b: OperatorBinding): Promise<VerifiedOperator> {
    const c = this.issued.get(credential);
    const refuse = (reason: string) => new OperatorCredentialError(`the operator credential is refused (${reason})`, { field: 'credential', reason });
    if (!c) throw refuse('forged');
    const misbound = c.accountId !== b.accountId ? 'wrong_account' : c.requestId !== b.requestId ? 'wrong_request' : c.action !== b.action ? 'wrong_action' : undefined;
    const spent = await this.spent.spend(credential, b.spender);
    if (misbound) throw refuse(misbound);
    if (!spent) throw refuse('replayed');
    return c.operator;
  }
}

export type FakePorts = ReturnType<typeof fakePorts>;

/** Every port faked, plus what ActivityDeps needs besides ports (keys, policy, links, limits). */
export function fakePorts() {
  const ports = {
    registry: new FakeRegistry(),
    history: new FakeHistory(),
    events: new FakeEvents(),
    sms: new FakeSms(),
    push: new FakePush(),
    mailer: new FakeMailer(),
    linked: new FakeLinkedServices(),
    operators: new FakeOperatorVerifier(),
    limiter: new FakeRateLimiter(),
  };
  return {
    ...ports,
    limits: defaultLimits,
    keys: deriveProofKeys(Buffer.alloc(32, 7)),
    policy: resolvePolicy({}),
    links: { journal: 'https://portal.test/journal', reject: 'https://portal.test/nm', identity: 'https://portal.test/id' },
  } satisfies ActivityDeps;
}
