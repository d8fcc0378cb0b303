/**
 * The small interfaces activities need from the outside world, all of them. NATS, nodemailer, SMPP
 * and the JWT verifier implement them (activities/adapters); only workers/ composes them.
 */
import type { ProofKeys } from './codes';
import type { Policy } from '../workflows/domain/policy';
import type { OperatorRole } from '../workflows/phone-change.defs';
import type { ChannelName } from '../workflows/domain/channels';
import type { OperatorSignals } from './signal-ports';
import type { Limits, RateLimiter } from './limit-ports';

export type { OperatorApi, OperatorSignals } from './signal-ports';
export type { Limit, Limits, LimitScope, RateLimiter } from './limit-ports';

/** What every activity factory picks its ports from; workers/services.ts builds it. */
export interface ActivityDeps {
  registry: ContactRegistry;
  history: History;
  events: EventPublisher;
  sms: SmsSender;
  push: PushSender;
  mailer: Mailer;
  linked: LinkedServices;
  /** Verifies support operators' credentials. */
  operators: OperatorVerifier;
  /** Limits against abuse, shared by all workers. */
  limiter: RateLimiter;
  limits: Limits;
  /** SEC-5: the worker-only keys, one per purpose. */
  keys: ProofKeys;
  /** SEC-7: the change policy of this worker's configuration; no caller input changes it. */
  policy: Policy;
  links: Links;
  /** SIG-1, SIG-2: the mobile operator's CAMARA APIs and what to do without them; checks are off when absent. */
  operatorSignals?: OperatorSignals;
}

/** Where the citizen's links point. */
export interface Links {
  /** DONE-2: the account's action journal. */
  journal: string;
  /** SEC-3: "this wasn't me". */
  reject: string;
  /** SEC-2: the identity-check page. */
  identity: string;
}

export type Language = 'ru' | 'en';

/** A citizen's contact record in the registry. */
export interface Account {
  accountId: string;
  /** E.164. */
  phone: string;
  phoneConfirmed: boolean;
  email?: string;
  /** PRE-1: identity confirmed with passport data or a qualified e-signature. */
  verified: boolean;
  language: Language;
  /** PRE-6: the profile is flagged for a data mismatch. */
  profileMismatch?: boolean;
  /** SEC-2: keyed hash of full name and passport (activities/codes.ts hashIdentity). */
  identityHash?: string;
  previousPhone?: string;
  lastPhoneChangeAt?: string;
  /** AFTER-3, DONE-4: the request id of the change that set the current number. */
  lastChangeRequestId?: string;
  /** REC-3: keyed hashes of the owner's unused backup recovery codes. */
  recoveryCodeHashes?: string[];
  /** REC-3: spent recovery codes and the change that spent each, so a retried spend is recognised. */
  recoveryCodesSpent?: { hash: string; requestId: string }[];
  /** DONE-1: a change that ended without binding (settleBinding): a binding of it still running anywhere refuses. */
  closedRequestId?: string;
  /** DONE-4: set when that change was reverted (makes a retried revert a no-op). */
  revertedRequestId?: string;
  /** SIG-2: when the current number was bound to this account (the date asked of Number Recycling). */
  phoneBoundAt?: string;
  /** SIG-2: a number of this account that the operator gave to another subscriber; nothing goes to it for this account any more. */
  recycledPhone?: string;
  recycledAt?: string;
  /** REC-1, REC-2: the password as an Argon2id hash (PHC string); nothing else of it is kept anywhere. */
  passwordHash?: string;
  passwordChangedAt?: string;
  /** REC-2: a temporary password set by support: it must be changed at first login and stops working at this time. */
  temporaryPasswordExpiresAt?: string;
}

export interface Versioned<T> {
  value: T;
  /** Compare-and-set token. */
  revision: number;
}

/** Accounts and the phone → account index, with compare-and-set. */
export interface ContactRegistry {
  getAccount(accountId: string): Promise<Versioned<Account> | undefined>;
  /** Writes the account if its revision is still `expectedRevision` (0: must not exist yet); returns the new revision. Throws ConcurrentModificationError otherwise. */
  putAccount(account: Account, expectedRevision: number): Promise<number>;
  ownerOf(phone: string): Promise<string | undefined>;
  /** Atomically binds the number to the account unless it is bound already; returns the owner afterwards. */
  claimPhone(phone: string, accountId: string): Promise<string>;
  /** Removes the index entry if it still names this account. */
  releasePhone(phone: string, accountId: string): Promise<void>;
  /** Atomically records who holds a request id unless someone does; returns the holder afterwards. */
  claimRequestId(requestId: string, holder: string): Promise<string>;
  /** SIG-2: bound numbers in key order after `after`, at most `limit` (the recycled-number sweep). */
  listPhones?(after: string | undefined, limit: number): Promise<{ phone: string; accountId: string }[]>;
}

export interface HistoryEntry {
  at: string;
  kind: string;
  requestId: string;
  /** What carried it (none: a record, not a notice). */
  channels: ChannelName[];
  text: string;
  /** Who acted, for support decisions. */
  actor?: string;
  details?: Record<string, string>;
}

export interface StoredHistoryEntry extends HistoryEntry {
  seq: number;
}

/** DONE-3: the account's history, append-only. */
export interface History {
  /** Appends once per `dedupId`. */
  append(accountId: string, entry: HistoryEntry, dedupId: string): Promise<void>;
  /** Newest first; `beforeSeq` pages back. */
  list(accountId: string, opts?: { limit?: number; beforeSeq?: number }): Promise<StoredHistoryEntry[]>;
}

export interface DomainEvent {
  type: string;
  accountId: string;
  requestId: string;
  at: string;
  [key: string]: unknown;
}

/** Domain events for other systems; published once per `dedupId`. */
export interface EventPublisher {
  publish(event: DomainEvent, dedupId: string): Promise<void>;
}

export interface SmsMessage {
  to: string;
  text: string;
  accountId: string;
  requestId: string;
  kind: string;
}

/** SMS gateway; delivers once per `dedupId`. */
export interface SmsSender {
  send(message: SmsMessage, dedupId: string): Promise<void>;
}

export interface PushMessage {
  accountId: string;
  requestId: string;
  kind: string;
  title: string;
  body: string;
}

export interface PushSender {
  send(message: PushMessage, dedupId: string): Promise<void>;
}

export interface MailMessage {
  to: string;
  /** The notice's kind, for counting sends; never part of the mail itself. */
  kind?: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: MailMessage, dedupId: string): Promise<void>;
}

/** AFTER-1: what a linked service (SMS subscriptions, bank cards, ...) learns of a change. */
export interface LinkedServiceMessage {
  accountId: string;
  requestId: string;
  newPhone: string;
  at: string;
  /** 0 for the announcement, n for the n-th reminder. */
  attempt: number;
  /** DONE-4: the change was reverted and `newPhone` is the restored number. */
  reverted?: boolean;
}

/** The configured linked services and how to reach them. */
export interface LinkedServices {
  readonly names: readonly string[];
  notify(service: string, message: LinkedServiceMessage, dedupId: string): Promise<void>;
}

/** Where "already sent" is remembered for channels without de-duplication of their own (SMTP, SMPP). */
export interface SentMarkers {
  has(key: string): Promise<boolean>;
  mark(key: string): Promise<void>;
}

/** SEC-6: an operator whose credential checked out. */
export interface VerifiedOperator {
  id: string;
  name?: string;
  roles: string[];
}

/** What a credential must be bound to, and who spends it. */
export interface OperatorBinding {
  /** The action the credential must name (`action` claim) and its roles must hold. */
  action: OperatorRole;
  accountId: string;
  requestId: string;
  /** The spend's identity, stable across retries of one activity (`<workflowId>/<runId>/<key>`). */
  spender: string;
}

/** Port: checks a credential against the action it is used for, and spends it. */
export interface OperatorVerifier {
  verify(credential: string, binding: OperatorBinding): Promise<VerifiedOperator>;
}

/** Port: credential ids (`jti`) spent so far, shared by all workers. */
export interface SpentCredentials {
  /**
   * Records `id` as spent by `spender`, atomically; true when this spender holds it (now or from an
   * earlier try), false when another spender spent it first.
   */
  spend(id: string, spender: string): Promise<boolean>;
}
