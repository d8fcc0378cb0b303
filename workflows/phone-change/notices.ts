/**
 * What the change tells the citizen (SEC-3, OTP-4, DONE-2, DONE-3): a notice names its channels;
 * the activity renders per channel, appends the history entry and publishes the event with it.
 * A notice that cannot be delivered after all retries does not stop the change.
 */
import { log } from '@temporalio/workflow';
import { entryKey } from '../entry-key';
import { messaging } from '../activity-proxies';
import { maskPhone } from '../domain/mask';
import { failureFromActivity } from '../failures';
import type { NoticeRequest, NoticeResult, Outgoing } from '../../activities';
import type { ChangeModel } from './model';
import { sendTogether, warnIfFailed } from './outgoing';

/** Where a notice goes: SMS to these numbers, and e-mail and push to the account when set. */
export interface Channels {
  sms: string[];
  email: boolean;
  push: boolean;
}

export type NoticeExtra = Pick<NoticeRequest, 'withRejectLink' | 'actor' | 'details' | 'countWrongEntry' | 'event'>;

export const ownerOnly = (): Channels => ({ sms: [], email: true, push: true });
export const pushOnly = (): Channels => ({ sms: [], email: false, push: true });
export const everywhere = (m: ChangeModel): Channels => ({ sms: [m.snapshot.oldPhone], email: true, push: true });

export async function notice(m: ChangeModel, kind: NoticeRequest['kind'], to: Channels, keySuffix = '', extra: NoticeExtra = {}, key?: string): Promise<NoticeResult | undefined> {
  const item = noticeItem(m, kind, to, keySuffix, extra, key);
  if (m.v7) {
    const [d] = await sendTogether(m, [item]);
    warnIfFailed(item, d!);
    return d!.ok ? (d!.result ?? {}) : undefined;
  }
  try {
    return await messaging.notify(item.req);
  } catch (err) {
    log.warn('notice not delivered', { kind, failure: failureFromActivity(err).type });
    return undefined;
  }
}

/** A notice to send, with its de-duplication key (`key`, or else the next of the change). */
export function noticeItem(m: ChangeModel, kind: NoticeRequest['kind'], to: Channels, keySuffix = '', extra: NoticeExtra = {}, key?: string): Extract<Outgoing, { kind: 'notify' }> {
  // Every notice advances the change's sequence, a keyed one too: the others' keys stay those of
  // the release before, for changes open across a deploy.
  const numbered = m.nextKey(`${kind}${keySuffix}`);
  const req: NoticeRequest = {
    accountId: m.input.accountId,
    requestId: m.input.requestId,
    kind,
    key: key ?? numbered,
    language: m.snapshot.language,
    smsTo: to.sms,
    email: to.email ? m.snapshot.email : undefined,
    push: to.push,
    params: { requestId: m.input.requestId, newPhoneMasked: maskPhone(m.input.newPhone) },
    at: new Date().toISOString(),
    ...extra,
  };
  return { kind: 'notify', req };
}

/** OTP-4: a wrong entry is told by push and counted against the account's limit, which may block further entries. */
export async function wrongEntry(m: ChangeModel, kind: 'wrong_code' | 'identity_mismatch', keySuffix: string): Promise<void> {
  const counted = await notice(m, kind, pushOnly(), keySuffix, { countWrongEntry: true }, entryKey(kind));
  if (counted?.blockedForMs) m.blockedUntil = Date.now() + counted.blockedForMs;
}
