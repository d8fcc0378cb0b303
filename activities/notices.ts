/** What the citizen and other systems are told: notices on every channel, domain events and history records (DONE-2, DONE-3, SEC-3). */
import { currentRun, dedupId } from './context';
import { deriveToken } from './codes';
import type { ActivityDeps, Language } from './ports';
import { formatWhen, type NoticeKind, type NoticeParams } from './templates';
import { smsTexts } from './templates/sms';
import { createChannels, type Notice } from './channels';
import { channelNames, type ChannelName } from '../workflows/domain/channels';

export interface NoticeRequest {
  accountId: string;
  requestId: string;
  kind: NoticeKind;
  /** Unique per event within the run, e.g. `wrong_code-old-2`. */
  key: string;
  language: Language;
  /** The notice's channels and their addresses: SMS to these numbers, e-mail to this address, push to the account. */
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

export interface PublishEventRequest {
  type: string;
  key: string;
  accountId: string;
  requestId: string;
  at: string;
  data?: Record<string, unknown>;
}

export interface RecordRequest {
  accountId: string;
  requestId: string;
  kind: string;
  key: string;
  text: string;
  at: string;
  actor?: string;
  details?: Record<string, string>;
}

export function createNoticeActivities(deps: Pick<ActivityDeps, 'sms' | 'push' | 'mailer' | 'history' | 'events' | 'limiter' | 'limits' | 'keys' | 'links'>) {
  const { history, events, keys, limiter, limits } = deps;
  const channels = createChannels(deps);

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
    const notice: Notice = { accountId: req.accountId, requestId: req.requestId, kind: req.kind, language: req.language, params: { ...req.params, when, journalUrl, rejectUrl } };
    // Every channel and address at once (issue 12: the SMTP round trips no longer add up); a
    // failure is thrown once all have settled, so a retry finds the others already sent (same ids).
    const sends = channelNames.flatMap((name) => channels[name].addresses(req).map(({ to, key }) => ({ name, sent: channels[name].send(to, notice, dedupId(`${req.key}/${key}`)) })));
    const settled = await Promise.allSettled(sends.map((s) => s.sent));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const sentOn: ChannelName[] = sends.map((s) => s.name);
    // The history keeps the short (SMS) text of the notice, whichever channels carried it.
    const text = smsTexts[req.language][req.kind](notice.params);
    await history.append(
      req.accountId,
      // The single-use link is the owner's alone: the history (read by support too) keeps the text without it.
      {
        at: req.at,
        kind: req.kind,
        requestId: req.requestId,
        channels: [...new Set(sentOn)],
        text: rejectUrl ? text.replace(rejectUrl, '<link>') : text,
        actor: req.actor,
        details: req.details,
      },
      dedupId(req.key),
    );
    return result;
  }

  /** Domain events `phone.change.<type>`. */
  async function publishEvent(req: PublishEventRequest): Promise<void> {
    await events.publish({ type: req.type, accountId: req.accountId, requestId: req.requestId, at: req.at, ...(req.data ?? {}) }, dedupId(`event-${req.key}`));
  }

  /** DONE-3: a decision or outcome that is not a notice (linked services synced, test delivery, ...). */
  async function recordHistory(req: RecordRequest): Promise<void> {
    await history.append(req.accountId, { at: req.at, kind: req.kind, requestId: req.requestId, channels: [], text: req.text, actor: req.actor, details: req.details }, dedupId(req.key));
  }

  return { notify, publishEvent, recordHistory };
}
