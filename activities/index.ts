/**
 * The phone change's activities, built from adapters (ports.ts). Every side effect carries a
 * de-duplication id derived from the workflow run and a step key chosen by the workflow, so a
 * retried or replayed activity never sends, publishes or records twice (CH-1).
 */
import { currentRun, dedupId, withTypedFailures } from './context';
import type { AuthMethod } from '../workflows/phone-change.defs';
import {
  AccountNotFoundError,
  AccountNotVerifiedError,
  ConcurrentModificationError,
  NumberTakenError,
  ProfileMismatchError,
  RateLimitedError,
  RequestIdConflictError,
  SameNumberError,
} from '../workflows/domain/errors';
import { maskPhone } from '../workflows/domain/mask';
import { deriveCode, deriveToken, type CodePurpose, type ProofKeys } from './codes';
import { formatWhen, renderCodeSms, renderIdentityLinkSms, renderNotice, textToHtml, type NoticeKind, type NoticeParams } from './templates';
import type { Account, ContactRegistry, EventPublisher, History, Language, LinkedServices, Mailer, PushSender, SmsSender } from './ports';
import { createAfterChangeActivities } from './after-change';
import { createProofActivities } from './proofs';
import type { Policy } from '../workflows/domain/policy';
import { isDefinite, updateAccount } from './compare-and-set';
import type { OperatorVerifier } from './operators';
import { numberKey, type Limits, type LimitScope, type RateLimiter } from './limits';

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

export interface AccountSnapshot {
  oldPhone: string;
  email?: string;
  language: Language;
  revision: number;
  /** SEC-2: the profile holds identity data to check against (the data itself stays in the registry). */
  hasIdentity: boolean;
  /** FREQ-1: when the previous change completed. */
  lastPhoneChangeAt?: string;
}

export interface LoadAccountRequest {
  accountId: string;
  requestId: string;
  newPhone: string;
  auth: AuthMethod;
}

export interface SendCodeRequest {
  accountId: string;
  requestId: string;
  step: CodePurpose;
  seq: number;
  to: string;
  language: Language;
  ttlMinutes: number;
}

export interface IdentityLinkRequest {
  accountId: string;
  requestId: string;
  seq: number;
  to: string;
  language: Language;
}

export interface NoticeRequest {
  accountId: string;
  requestId: string;
  kind: NoticeKind;
  /** Unique per event within the run, e.g. `wrong_code-old-2`. */
  key: string;
  language: Language;
  smsTo: string[];
  email?: string;
  push: boolean;
  params: NoticeParams;
  /** ISO time of the event, from workflow time, for the "when" of the text. */
  at: string;
  /** SEC-3: put the change's single-use "this wasn't me" link in the notice. */
  withRejectLink?: boolean;
  /** Who acted (an operator), recorded in the history entry. */
  actor?: string;
  /** What support recorded with its decision (method, evidence, reason). */
  details?: Record<string, string>;
  /** Count this notice's event against the wrong-entry limit of the account. */
  countWrongEntry?: boolean;
  /** The domain event that goes with the notice, published first (one activity instead of two). */
  event?: { type: string; data?: Record<string, unknown> };
}

export interface NoticeResult {
  /** With `countWrongEntry`: the account is blocked from entering codes for this long. */
  blockedForMs?: number;
}

export interface BindPhoneRequest {
  accountId: string;
  requestId?: string;
  oldPhone: string;
  newPhone: string;
  changedAt: string;
}

export interface PublishEventRequest {
  type: string;
  key: string;
  accountId: string;
  requestId: string;
  at: string;
  data?: Record<string, unknown>;
}

export function createActivities(deps: ActivityDeps) {
  const { registry, history, events, sms, push, mailer, keys, limiter, limits } = deps;

  /** Counts the event when it fits its window (atomically, once per id); refuses with RateLimitedError otherwise. */
  async function admit(scope: LimitScope, key: string, eventId: string): Promise<void> {
    const retryAfterMs = await limiter.admit(scope, key, limits[scope], eventId);
    if (retryAfterMs !== undefined) {
      throw new RateLimitedError(`too many attempts (${scope}); try again in ${Math.ceil(retryAfterMs / 1000)} s`, { scope, retryAfterMs });
    }
  }

  /** PRE-1, PRE-3: the account exists, is verified, and the new number is free and different. */
  async function loadAccount(req: LoadAccountRequest): Promise<AccountSnapshot> {
    const found = await registry.getAccount(req.accountId);
    if (!found) throw new AccountNotFoundError('no such account', { field: 'accountId' });
    const account = found.value;
    if (!account.verified) {
      throw new AccountNotVerifiedError('the account is not verified: confirm identity with passport data or a qualified e-signature first', { field: 'accountId' });
    }
    if (account.profileMismatch) {
      throw new ProfileMismatchError('the profile is flagged for a data mismatch: fix the profile data first', { field: 'accountId' });
    }
    if (account.phone === req.newPhone) throw new SameNumberError('the new number is the current number', { field: 'newPhone' });
    // Counted before the registry is asked: "number taken" must not be an unlimited oracle.
    await admit('startsPerAccount', req.accountId, dedupId('start'));
    await admit('startsPerNumber', numberKey(keys.limits, req.newPhone), dedupId('start'));
    const owner = await registry.ownerOf(req.newPhone);
    if (owner !== undefined && owner !== req.accountId) {
      throw new NumberTakenError('the new number is bound to another account', { field: 'newPhone' });
    }
    // PRE-4, AFTER-3: a request id names one change for good; reused by another run it is a conflict.
    const { workflowId, runId } = currentRun();
    const holder = await registry.claimRequestId(req.requestId, `${workflowId}/${runId}`);
    if (holder !== `${workflowId}/${runId}`) throw new RequestIdConflictError('this request id belongs to another change: use a new one', { field: 'requestId' });
    return {
      oldPhone: account.phone,
      email: account.email,
      language: account.language,
      revision: found.revision,
      hasIdentity: account.identityHash !== undefined,
      lastPhoneChangeAt: account.lastPhoneChangeAt,
    };
  }

  /** OTP-1, OTP-2: sends code number `seq` of a step; nothing of the code leaves the worker otherwise. */
  async function sendCode(req: SendCodeRequest): Promise<void> {
    const { runId } = currentRun();
    const code = deriveCode(keys.codes, runId, req.step, req.seq);
    const key = `code-${req.step}-${req.seq}`;
    await admit('codesPerNumber', numberKey(keys.limits, req.to), dedupId(key));
    const text = renderCodeSms(req.language, req.step, code, req.ttlMinutes);
    await sms.send({ to: req.to, text, accountId: req.accountId, requestId: req.requestId, kind: `code_${req.step}` }, dedupId(key));
    await history.append(
      req.accountId,
      {
        at: new Date().toISOString(),
        kind: 'code_sent',
        requestId: req.requestId,
        channels: ['sms'],
        text: `code ${req.seq} for the ${req.step} number sent to ${maskPhone(req.to)}`,
      },
      dedupId(key),
    );
  }

  /** SEC-2: the single-use identity-check link by SMS. */
  async function sendIdentityLink(req: IdentityLinkRequest): Promise<void> {
    const { runId } = currentRun();
    const token = deriveToken(keys.tokens, 'identity', runId, req.seq);
    const url = `${deps.links.identity}/${req.accountId}/${token}`;
    const key = `identity-link-${req.seq}`;
    await sms.send({ to: req.to, text: renderIdentityLinkSms(req.language, url), accountId: req.accountId, requestId: req.requestId, kind: 'identity_link' }, dedupId(key));
    await history.append(
      req.accountId,
      { at: new Date().toISOString(), kind: 'identity_link', requestId: req.requestId, channels: ['sms'], text: `identity-check link sent to ${maskPhone(req.to)}` },
      dedupId(key),
    );
  }

  /** SEC-3, DONE-2, DONE-3, OTP-4: one notice on its channels, then its history entry. */
  async function notify(req: NoticeRequest): Promise<NoticeResult> {
    if (req.event) {
      const { type, data } = req.event;
      await events.publish({ type, accountId: req.accountId, requestId: req.requestId, at: req.at, ...(data ?? {}) }, dedupId(`event-${type}`));
    }
    const when = formatWhen(req.language, new Date(req.at));
    const result: NoticeResult = {};
    let rejectUrl: string | undefined;
    if (req.withRejectLink) {
      const token = deriveToken(keys.tokens, 'reject', currentRun().runId, 1);
      rejectUrl = `${deps.links.reject}/${req.accountId}/${token}`;
    }
    if (req.countWrongEntry) {
      // The entry that fills the window blocks: admitted against max - 1, it is the one refused.
      const limit = limits.wrongEntriesPerAccount;
      result.blockedForMs = await limiter.admit('wrongEntriesPerAccount', req.accountId, { ...limit, max: limit.max - 1 }, dedupId(req.key));
    }
    const journalUrl = `${deps.links.journal}/${req.requestId}`;
    const text = renderNotice(req.language, req.kind, { ...req.params, when, journalUrl, rejectUrl });
    const channels: string[] = [];
    for (const [i, to] of req.smsTo.entries()) {
      await sms.send({ to, text: text.sms, accountId: req.accountId, requestId: req.requestId, kind: req.kind }, dedupId(`${req.key}/sms/${i}`));
      channels.push('sms');
    }
    if (req.email) {
      await mailer.send({ to: req.email, subject: text.subject, text: text.body, html: textToHtml(text.body) }, dedupId(`${req.key}/email`));
      channels.push('email');
    }
    if (req.push) {
      await push.send({ accountId: req.accountId, requestId: req.requestId, kind: req.kind, title: text.subject, body: text.sms }, dedupId(`${req.key}/push`));
      channels.push('push');
    }
    await history.append(
      req.accountId,
      // The single-use link is the owner's alone: the history (read by support too) keeps the text without it.
      { at: req.at, kind: req.kind, requestId: req.requestId, channels: [...new Set(channels)], text: rejectUrl ? text.sms.replace(rejectUrl, '<link>') : text.sms, actor: req.actor, details: req.details },
      dedupId(req.key),
    );
    return result;
  }

  /**
   * PRE-3, DONE-1: binds the new number atomically. The index entry is claimed first (only one
   * account can win a number), then the account is written with compare-and-set; a retry after a
   * crash at any point finds its own earlier work and finishes it. The claim is given back only
   * on a definite refusal: after a timeout the write may have landed, and the retry settles it.
   */
  async function bindPhone(req: BindPhoneRequest): Promise<void> {
    try {
      await updateAccount(registry, req.accountId, async ({ value: account }) => {
        if (account.phone === req.newPhone) return { result: undefined }; // applied by an earlier attempt
        if (account.phone !== req.oldPhone) throw new ConcurrentModificationError('the account\'s phone changed while this change was open', {});
        const owner = await registry.claimPhone(req.newPhone, req.accountId);
        if (owner !== req.accountId) throw new NumberTakenError('the new number was bound to another account meanwhile', { field: 'newPhone' });
        const next: Account = {
          ...account,
          phone: req.newPhone,
          phoneConfirmed: true,
          previousPhone: req.oldPhone,
          lastPhoneChangeAt: req.changedAt,
          lastChangeRequestId: req.requestId,
          revertedRequestId: undefined,
        };
        return { write: next, result: undefined };
      });
    } catch (err) {
      if (isDefinite(err)) await registry.releasePhone(req.newPhone, req.accountId);
      throw err;
    }
    await registry.releasePhone(req.oldPhone, req.accountId);
  }

  /** Domain events `phone.change.<type>`. */
  async function publishEvent(req: PublishEventRequest): Promise<void> {
    await events.publish(
      { type: req.type, accountId: req.accountId, requestId: req.requestId, at: req.at, ...(req.data ?? {}) },
      dedupId(`event-${req.key}`),
    );
  }

  return withTypedFailures({ loadAccount, sendCode, sendIdentityLink, notify, bindPhone, publishEvent, ...createAfterChangeActivities(deps), ...createProofActivities(deps) });
}

export type PhoneChangeActivities = ReturnType<typeof createActivities>;
