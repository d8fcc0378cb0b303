/**
 * CH-2: notice texts in Russian (default) and English, one template file per channel
 * (templates/sms.ts, email.ts, push.ts); a channel renders its own (activities/channels.ts).
 */
import type { Language } from './ports';
import { emailTexts } from './templates/email';
import type { NoticeKind, NoticeParams } from './templates/kinds';
import { smsTexts } from './templates/sms';

export { noticeKinds, type NoticeKind, type NoticeParams } from './templates/kinds';
export type { CodePurpose } from './codes';
export { renderCodeSms, renderIdentityLinkSms, smsSegments } from './templates/sms';
export { textToHtml } from './templates/email';

export interface NoticeText {
  sms: string;
  subject: string;
  body: string;
}

/** A notice's texts on the SMS and e-mail channels (push reuses them). */
export function renderNotice(language: Language, kind: NoticeKind, params: NoticeParams): NoticeText {
  return { sms: smsTexts[language][kind](params), ...emailTexts[language][kind](params) };
}

/** Built once per language: an Intl formatter is costly to make and cheap to use. */
const whenFormats = {
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Moscow' }),
  ru: new Intl.DateTimeFormat('ru-RU', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Moscow' }),
};

export function formatWhen(language: Language, at: Date): string {
  return language === 'en' ? `${whenFormats.en.format(at)} MSK` : `${whenFormats.ru.format(at)} МСК`;
}
