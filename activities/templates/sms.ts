/**
 * CH-2: the SMS channel's texts. Short (one or two segments, a unit test counts them); none carries
 * a full phone number or e-mail address.
 */
import type { CodePurpose } from '../codes';
import type { Language } from '../ports';
import type { Catalogue } from './kinds';

export const smsTexts: Catalogue<string> = {
  ru: {
    requested: (p) => `Госуслуги: смена номера, заявка ${p.requestId}. Не вы? ${p.rejectUrl ?? 'Звоните в поддержку'}`,
    identity_mismatch: (p) => `Госуслуги: данные не совпали с профилем, заявка ${p.requestId}. Проверьте ФИО и паспорт.`,
    frequent_change: (p) => `Госуслуги: номер меняется слишком часто. Заявка ${p.requestId} ждёт проверки, обратитесь в поддержку.`,
    sim_swap: (p) => `Госуслуги: заявка ${p.requestId} ждёт проверки поддержкой: SIM-карта старого номера недавно заменена.`,
    sim_swap_unverified: (p) => `Госуслуги: заявка ${p.requestId} ждёт проверки поддержкой.`,
    old_number_lost: (p) => `Госуслуги: заявка ${p.requestId} ждёт подтверждения личности поддержкой.`,
    support_override: (p) => `Госуслуги: поддержка подтвердила личность, заявка ${p.requestId}. Введите код с нового номера.`,
    rejected: (p) => `Госуслуги: смена номера, заявка ${p.requestId}, отклонена. Смените пароль.`,
    cancelled: (p) => `Госуслуги: заявка ${p.requestId} на смену номера отменена.`,
    wrong_code: (p) => `Госуслуги: неверный код, заявка ${p.requestId}. Запросите новый код.`,
    completed: (p) => `Госуслуги: номер изменён ${p.when}. Журнал: ${p.journalUrl}`,
    reverted: (p) => `Госуслуги: поддержка вернула прежний номер, заявка ${p.requestId}.`,
    completed_old: (p) => `Госуслуги: номер в профиле заменён ${p.when}, заявка ${p.requestId}. Не вы? Звоните в поддержку`,
    failed: (p) => `Госуслуги: смена номера не выполнена, заявка ${p.requestId}. Не вы? Звоните в поддержку`,
    expired: (p) => `Госуслуги: заявка ${p.requestId} на смену номера истекла. Начните заново.`,
  },
  en: {
    requested: (p) => `Gosuslugi: phone number change, request ${p.requestId}. Not you? ${p.rejectUrl ?? 'Call support'}`,
    identity_mismatch: (p) => `Gosuslugi: the data did not match your profile (request ${p.requestId}). Check your name and passport.`,
    frequent_change: (p) => `Gosuslugi: your number changes too often; request ${p.requestId} waits for a support check. Please contact support.`,
    sim_swap: (p) => `Gosuslugi: request ${p.requestId} awaits support: the old number's SIM card was replaced recently.`,
    sim_swap_unverified: (p) => `Gosuslugi: request ${p.requestId} awaits a support check.`,
    old_number_lost: (p) => `Gosuslugi: request ${p.requestId} waits for support to confirm your identity.`,
    support_override: (p) => `Gosuslugi: support confirmed your identity for request ${p.requestId}. Confirm the new number with the code.`,
    rejected: (p) => `Gosuslugi: the phone number change ${p.requestId} was rejected. We recommend changing your password.`,
    cancelled: (p) => `Gosuslugi: request ${p.requestId} to change the phone number was cancelled.`,
    wrong_code: (p) => `Gosuslugi: wrong code entered (request ${p.requestId}). Request a new code and enter it.`,
    completed: (p) => `Gosuslugi: phone number changed ${p.when}. Journal: ${p.journalUrl}`,
    reverted: (p) => `Gosuslugi: support restored your previous phone number (request ${p.requestId}).`,
    completed_old: (p) => `Gosuslugi: your account's phone number was replaced ${p.when}, request ${p.requestId}. If this wasn't you, contact support.`,
    failed: (p) => `Gosuslugi: the phone number change failed, request ${p.requestId}. If this wasn't you, contact support.`,
    expired: (p) => `Gosuslugi: request ${p.requestId} to change the phone number expired. Please start again.`,
  },
};

const GSM7 = new Set('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà');
const GSM7_EXT = new Set('^{}\\[~]|€');

/** How many SMS segments a text needs: GSM-7 (160, or 153 per part) or UCS-2 (70, or 67 per part). */
export function smsSegments(text: string): number {
  const chars = [...text];
  if (chars.every((c) => GSM7.has(c) || GSM7_EXT.has(c))) {
    const septets = chars.reduce((n, c) => n + (GSM7_EXT.has(c) ? 2 : 1), 0);
    return septets <= 160 ? 1 : Math.ceil(septets / 153);
  }
  const units = text.length; // UTF-16 code units, as UCS-2 counts them
  return units <= 70 ? 1 : Math.ceil(units / 67);
}

export function renderCodeSms(language: Language, purpose: CodePurpose, code: string, minutes: number): string {
  if (language === 'en') {
    const what = { old: 'to change your phone number', new: 'to confirm your new number', test: 'to check delivery', recovery: '', reset: 'to reset your password' }[purpose];
    return `Gosuslugi: code ${code} ${what}. Valid ${minutes} min. Never tell it to anyone.`;
  }
  // One UCS-2 segment (70 characters) keeps a code SMS cheap and unsplit.
  const what = { old: 'для смены номера', new: 'для нового номера', test: 'проверки доставки', recovery: '', reset: 'для сброса пароля' }[purpose];
  return `Госуслуги: код ${code} ${what}. ${minutes} мин. Никому не сообщайте`;
}

/** SEC-2: the identity-check link (one segment in English, two in Russian with the link). */
export function renderIdentityLinkSms(language: Language, url: string): string {
  return language === 'en' ? `Gosuslugi: to change your number, confirm your identity: ${url}` : `Госуслуги: подтвердите личность для смены номера: ${url}`;
}
