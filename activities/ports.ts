/**
 * The small interfaces activities need from the outside world. NATS, nodemailer and others
 * implement them (activities/nats, activities/email); only workers/ composes them.
 */
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
  /** DONE-4: set when that change was reverted (makes a retried revert a no-op). */
  revertedRequestId?: string;
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
}

export interface HistoryEntry {
  at: string;
  kind: string;
  requestId: string;
  channels: string[];
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
