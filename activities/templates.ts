/**
 * CH-2: notice texts in Russian (default) and English. SMS texts stay short (one or two segments);
 * none carries a full phone number or e-mail address.
 */
import type { Language } from './ports';

export type NoticeKind = 'requested' | 'wrong_code' | 'completed' | 'completed_old' | 'failed' | 'expired';
export type CodePurpose = 'old' | 'new';

export interface NoticeParams {
  requestId: string;
  /** When it happened, already formatted for the reader. */
  when?: string;
  journalUrl?: string;
  newPhoneMasked?: string;
}

export interface NoticeText {
  sms: string;
  subject: string;
  body: string;
}

type Catalogue = Record<NoticeKind, (p: NoticeParams) => NoticeText>;

const ru: Catalogue = {
  requested: (p) => ({
    sms: `Госуслуги: запрошена смена номера телефона на ${p.newPhoneMasked}, заявка ${p.requestId}. Если это не вы, обратитесь в поддержку.`,
    subject: 'Запрошена смена номера телефона',
    body: `Для вашей учётной записи запрошена смена номера телефона на ${p.newPhoneMasked}. Номер заявки: ${p.requestId}.\nЕсли это были не вы, не сообщайте никому коды и обратитесь в службу поддержки.`,
  }),
  wrong_code: (p) => ({
    sms: `Госуслуги: введён неверный код (заявка ${p.requestId}). Запросите новый код и введите его.`,
    subject: 'Неверный код подтверждения',
    body: `При смене номера телефона введён неверный код (заявка ${p.requestId}). Нажмите «Получить код повторно» и введите новый код.`,
  }),
  completed: (p) => ({
    sms: `Госуслуги: номер телефона подтверждён и изменён ${p.when}. Журнал действий: ${p.journalUrl}`,
    subject: 'Номер телефона изменён',
    body: `Номер телефона вашей учётной записи изменён ${p.when} (заявка ${p.requestId}). Теперь коды и уведомления приходят на новый номер.\nЖурнал действий: ${p.journalUrl}`,
  }),
  completed_old: (p) => ({
    sms: `Госуслуги: номер телефона учётной записи заменён ${p.when}, заявка ${p.requestId}. Если это не вы, обратитесь в поддержку.`,
    subject: 'Номер телефона заменён',
    body: `Номер телефона вашей учётной записи заменён ${p.when} (заявка ${p.requestId}).`,
  }),
  failed: (p) => ({
    sms: `Госуслуги: смена номера телефона не выполнена, заявка ${p.requestId}. Если это не вы, обратитесь в поддержку.`,
    subject: 'Смена номера телефона не выполнена',
    body: `Смена номера телефона не выполнена (заявка ${p.requestId}): исчерпаны попытки или номер недоступен.\nЕсли вы не запрашивали смену номера, обратитесь в службу поддержки.`,
  }),
  expired: (p) => ({
    sms: `Госуслуги: заявка ${p.requestId} на смену номера истекла. Начните смену номера заново.`,
    subject: 'Заявка на смену номера истекла',
    body: `Заявка ${p.requestId} на смену номера телефона не была завершена вовремя и закрыта. Начните смену номера заново.`,
  }),
};

const en: Catalogue = {
  requested: (p) => ({
    sms: `Gosuslugi: a phone number change to ${p.newPhoneMasked} was requested, request ${p.requestId}. If this wasn't you, contact support.`,
    subject: 'Phone number change requested',
    body: `A change of your account's phone number to ${p.newPhoneMasked} was requested. Request id: ${p.requestId}.\nIf this wasn't you, share no codes and contact support.`,
  }),
  wrong_code: (p) => ({
    sms: `Gosuslugi: wrong code entered (request ${p.requestId}). Request a new code and enter it.`,
    subject: 'Wrong confirmation code',
    body: `A wrong code was entered while changing your phone number (request ${p.requestId}). Choose "Send code again" and enter the new code.`,
  }),
  completed: (p) => ({
    sms: `Gosuslugi: phone number confirmed and changed ${p.when}. Action journal: ${p.journalUrl}`,
    subject: 'Phone number changed',
    body: `Your account's phone number was changed ${p.when} (request ${p.requestId}). Codes and notices now go to the new number.\nAction journal: ${p.journalUrl}`,
  }),
  completed_old: (p) => ({
    sms: `Gosuslugi: your account's phone number was replaced ${p.when}, request ${p.requestId}. If this wasn't you, contact support.`,
    subject: 'Phone number replaced',
    body: `Your account's phone number was replaced ${p.when} (request ${p.requestId}).`,
  }),
  failed: (p) => ({
    sms: `Gosuslugi: the phone number change failed, request ${p.requestId}. If this wasn't you, contact support.`,
    subject: 'Phone number change failed',
    body: `The phone number change failed (request ${p.requestId}): attempts ran out or the number is unavailable.\nIf you did not request it, contact support.`,
  }),
  expired: (p) => ({
    sms: `Gosuslugi: request ${p.requestId} to change the phone number expired. Please start again.`,
    subject: 'Phone number change expired',
    body: `Request ${p.requestId} to change the phone number was not finished in time and was closed. Please start again.`,
  }),
};

const catalogues: Record<Language, Catalogue> = { ru, en };

export function renderNotice(language: Language, kind: NoticeKind, params: NoticeParams): NoticeText {
  return catalogues[language][kind](params);
}

export function renderCodeSms(language: Language, purpose: CodePurpose, code: string, minutes: number): string {
  if (language === 'en') {
    const what = purpose === 'old' ? 'to change your phone number' : 'to confirm your new number';
    return `Gosuslugi: code ${code} ${what}. Valid ${minutes} min. Never tell it to anyone.`;
  }
  // One UCS-2 segment (70 characters) keeps a code SMS cheap and unsplit.
  const what = purpose === 'old' ? 'для смены номера' : 'для нового номера';
  return `Госуслуги: код ${code} ${what}. ${minutes} мин. Никому не сообщайте`;
}

export function formatWhen(language: Language, at: Date): string {
  return new Intl.DateTimeFormat(language === 'en' ? 'en-GB' : 'ru-RU', {
    dateStyle: 'short',
    timeStyle: 'short',
    timeZone: 'Europe/Moscow',
  }).format(at) + (language === 'en' ? ' MSK' : ' МСК');
}
