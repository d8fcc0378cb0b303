/** The push channel's texts: as short as an SMS, so the SMS text is the body and the e-mail's subject the title. */
import type { Language } from '../ports';
import { emailTexts } from './email';
import type { NoticeKind, NoticeParams } from './kinds';
import { smsTexts } from './sms';

export function renderPush(language: Language, kind: NoticeKind, params: NoticeParams): { title: string; body: string } {
  return { title: emailTexts[language][kind](params).subject, body: smsTexts[language][kind](params) };
}

const sender: Record<Language, string> = { ru: 'Госуслуги', en: 'Gosuslugi' };

/** CH-1: a text written for another channel (an undelivered SMS), relayed by push under the portal's name. */
export function relayPush(language: Language, text: string): { title: string; body: string } {
  return { title: sender[language], body: text };
}
