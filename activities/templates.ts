/**
 * CH-2: notice texts in Russian (default) and English. SMS texts stay short (one or two segments);
 * none carries a full phone number or e-mail address.
 */
import type { Language } from './ports';

export type NoticeKind =
  | 'requested'
  | 'wrong_code'
  | 'identity_mismatch'
  | 'frequent_change'
  | 'old_number_lost'
  | 'sim_swap'
  | 'sim_swap_unverified'
  | 'support_override'
  | 'rejected'
  | 'cancelled'
  | 'completed'
  | 'completed_old'
  | 'reverted'
  | 'failed'
  | 'expired';
export type { CodePurpose } from './codes';
import type { CodePurpose } from './codes';

export interface NoticeParams {
  requestId: string;
  /** When it happened, already formatted for the reader. */
  when?: string;
  journalUrl?: string;
  /** SEC-3: the single-use "this wasn't me" link. */
  rejectUrl?: string;
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
    sms: `Госуслуги: смена номера, заявка ${p.requestId}. Не вы? ${p.rejectUrl ?? 'Звоните в поддержку'}`,
    subject: 'Запрошена смена номера телефона',
    body: `Для вашей учётной записи запрошена смена номера телефона на ${p.newPhoneMasked}. Номер заявки: ${p.requestId}.\nЕсли это были не вы, не сообщайте никому коды и отмените смену: ${p.rejectUrl ?? 'обратитесь в службу поддержки'}`,
  }),
  identity_mismatch: (p) => ({
    sms: `Госуслуги: данные не совпали с профилем, заявка ${p.requestId}. Проверьте ФИО и паспорт.`,
    subject: 'Данные не совпали с профилем',
    body: `При подтверждении личности (заявка ${p.requestId}) ФИО или паспортные данные не совпали с профилем. Проверьте их и введите снова.`,
  }),
  frequent_change: (p) => ({
    sms: `Госуслуги: номер меняется слишком часто. Заявка ${p.requestId} ждёт проверки, обратитесь в поддержку.`,
    subject: 'Частая смена номера телефона',
    body: `Номер телефона вашей учётной записи меняется второй раз за сутки (заявка ${p.requestId}). Для безопасности заявка будет выполнена только после проверки личности службой поддержки. Обратитесь в поддержку или в центр обслуживания с паспортом.`,
  }),
  sim_swap: (p) => ({
    sms: `Госуслуги: заявка ${p.requestId} ждёт проверки поддержкой: SIM-карта старого номера недавно заменена.`,
    subject: 'Смена номера остановлена: SIM-карта недавно заменена',
    body: `Оператор сообщил, что SIM-карта вашего старого номера недавно заменена. Код со старого номера поэтому не подтверждает смену (заявка ${p.requestId}). Если SIM-карту меняли не вы, обратитесь к оператору связи. Подтвердите личность: в центре обслуживания с паспортом, по видеосвязи в приложении или электронной подписью.`,
  }),
  sim_swap_unverified: (p) => ({
    sms: `Госуслуги: заявка ${p.requestId} ждёт проверки поддержкой.`,
    subject: 'Смена номера ждёт проверки поддержкой',
    body: `Не удалось проверить у оператора связи, не менялась ли недавно SIM-карта старого номера (заявка ${p.requestId}). Для безопасности заявку проверит служба поддержки. Подтвердите личность: в центре обслуживания с паспортом, по видеосвязи в приложении или электронной подписью.`,
  }),
  old_number_lost: (p) => ({
    sms: `Госуслуги: заявка ${p.requestId} ждёт подтверждения личности поддержкой.`,
    subject: 'Смена номера без доступа к старому номеру',
    body: `Вы сообщили, что старый номер недоступен (заявка ${p.requestId}). Подтвердите личность: в центре обслуживания с паспортом, по видеосвязи в приложении, электронной подписью или письменным обращением.`,
  }),
  support_override: (p) => ({
    sms: `Госуслуги: поддержка подтвердила личность, заявка ${p.requestId}. Введите код с нового номера.`,
    subject: 'Личность подтверждена поддержкой',
    body: `Служба поддержки подтвердила вашу личность по заявке ${p.requestId}. Осталось подтвердить новый номер кодом из SMS.`,
  }),
  rejected: (p) => ({
    sms: `Госуслуги: смена номера, заявка ${p.requestId}, отклонена. Смените пароль.`,
    subject: 'Смена номера телефона отклонена',
    body: `Смена номера телефона по заявке ${p.requestId} отклонена. Если заявку подали не вы, смените пароль и проверьте журнал действий.`,
  }),
  cancelled: (p) => ({
    sms: `Госуслуги: заявка ${p.requestId} на смену номера отменена.`,
    subject: 'Заявка на смену номера отменена',
    body: `Заявка ${p.requestId} на смену номера телефона отменена. Номер не изменился.`,
  }),
  wrong_code: (p) => ({
    sms: `Госуслуги: неверный код, заявка ${p.requestId}. Запросите новый код.`,
    subject: 'Неверный код подтверждения',
    body: `При смене номера телефона введён неверный код (заявка ${p.requestId}). Нажмите «Получить код повторно» и введите новый код.`,
  }),
  completed: (p) => ({
    sms: `Госуслуги: номер изменён ${p.when}. Журнал: ${p.journalUrl}`,
    subject: 'Номер телефона изменён',
    body: `Номер телефона вашей учётной записи изменён ${p.when} (заявка ${p.requestId}). Теперь коды и уведомления приходят на новый номер.\nЖурнал действий: ${p.journalUrl}`,
  }),
  reverted: (p) => ({
    sms: `Госуслуги: поддержка вернула прежний номер, заявка ${p.requestId}.`,
    subject: 'Прежний номер телефона восстановлен',
    body: `Служба поддержки вернула прежний номер телефона вашей учётной записи ${p.when}: смена по заявке ${p.requestId} была выполнена не вами. Рекомендуем сменить пароль.`,
  }),
  completed_old: (p) => ({
    sms: `Госуслуги: номер в профиле заменён ${p.when}, заявка ${p.requestId}. Не вы? Звоните в поддержку`,
    subject: 'Номер телефона заменён',
    body: `Номер телефона вашей учётной записи заменён ${p.when} (заявка ${p.requestId}).`,
  }),
  failed: (p) => ({
    sms: `Госуслуги: смена номера не выполнена, заявка ${p.requestId}. Не вы? Звоните в поддержку`,
    subject: 'Смена номера телефона не выполнена',
    body: `Смена номера телефона не выполнена (заявка ${p.requestId}): исчерпаны попытки или номер недоступен.\nЕсли вы не запрашивали смену номера, обратитесь в службу поддержки.`,
  }),
  expired: (p) => ({
    sms: `Госуслуги: заявка ${p.requestId} на смену номера истекла. Начните заново.`,
    subject: 'Заявка на смену номера истекла',
    body: `Заявка ${p.requestId} на смену номера телефона не была завершена вовремя и закрыта. Начните смену номера заново.`,
  }),
};

const en: Catalogue = {
  requested: (p) => ({
    sms: `Gosuslugi: phone number change, request ${p.requestId}. Not you? ${p.rejectUrl ?? 'Call support'}`,
    subject: 'Phone number change requested',
    body: `A change of your account's phone number to ${p.newPhoneMasked} was requested. Request id: ${p.requestId}.\nIf this wasn't you, share no codes and cancel it: ${p.rejectUrl ?? 'contact support'}`,
  }),
  identity_mismatch: (p) => ({
    sms: `Gosuslugi: the data did not match your profile (request ${p.requestId}). Check your name and passport.`,
    subject: 'Data did not match the profile',
    body: `While confirming your identity (request ${p.requestId}) the full name or passport data did not match the profile. Check them and enter them again.`,
  }),
  frequent_change: (p) => ({
    sms: `Gosuslugi: your number changes too often; request ${p.requestId} waits for a support check. Please contact support.`,
    subject: 'Frequent phone number changes',
    body: `Your account's phone number is changing for the second time within a day (request ${p.requestId}). For your safety the change goes ahead only after support has checked your identity. Contact support or visit a service centre with your passport.`,
  }),
  sim_swap: (p) => ({
    sms: `Gosuslugi: request ${p.requestId} awaits support: the old number's SIM card was replaced recently.`,
    subject: 'Phone change held: the SIM card was replaced recently',
    body: `Your operator reports that the SIM card of your old number was replaced recently, so a code from the old number does not confirm the change (request ${p.requestId}). If you did not replace the SIM card, contact your operator. Confirm your identity: at a service centre with your passport, by video in the app, or with an e-signature.`,
  }),
  sim_swap_unverified: (p) => ({
    sms: `Gosuslugi: request ${p.requestId} awaits a support check.`,
    subject: 'Phone change awaits a support check',
    body: `We could not check with your operator whether the SIM card of your old number was replaced recently (request ${p.requestId}). For your safety, support will check the request. Confirm your identity: at a service centre with your passport, by video in the app, or with an e-signature.`,
  }),
  old_number_lost: (p) => ({
    sms: `Gosuslugi: request ${p.requestId} waits for support to confirm your identity.`,
    subject: 'Changing the number without the old one',
    body: `You said the old number is unavailable (request ${p.requestId}). Confirm your identity at a service centre with your passport, by video in the app, with an e-signature or by a written request.`,
  }),
  support_override: (p) => ({
    sms: `Gosuslugi: support confirmed your identity for request ${p.requestId}. Confirm the new number with the code.`,
    subject: 'Identity confirmed by support',
    body: `Support confirmed your identity for request ${p.requestId}. What remains is confirming the new number with the SMS code.`,
  }),
  rejected: (p) => ({
    sms: `Gosuslugi: the phone number change ${p.requestId} was rejected. We recommend changing your password.`,
    subject: 'Phone number change rejected',
    body: `The phone number change ${p.requestId} was rejected. If you did not request it, change your password and check the action journal.`,
  }),
  cancelled: (p) => ({
    sms: `Gosuslugi: request ${p.requestId} to change the phone number was cancelled.`,
    subject: 'Phone number change cancelled',
    body: `Request ${p.requestId} to change the phone number was cancelled. The number did not change.`,
  }),
  wrong_code: (p) => ({
    sms: `Gosuslugi: wrong code entered (request ${p.requestId}). Request a new code and enter it.`,
    subject: 'Wrong confirmation code',
    body: `A wrong code was entered while changing your phone number (request ${p.requestId}). Choose "Send code again" and enter the new code.`,
  }),
  completed: (p) => ({
    sms: `Gosuslugi: phone number changed ${p.when}. Journal: ${p.journalUrl}`,
    subject: 'Phone number changed',
    body: `Your account's phone number was changed ${p.when} (request ${p.requestId}). Codes and notices now go to the new number.\nAction journal: ${p.journalUrl}`,
  }),
  reverted: (p) => ({
    sms: `Gosuslugi: support restored your previous phone number (request ${p.requestId}).`,
    subject: 'Previous phone number restored',
    body: `Support restored your account's previous phone number ${p.when}: the change ${p.requestId} was not your doing. We recommend changing your password.`,
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

/** The HTML part of an e-mail: the text, escaped, with its line breaks. */
export function textToHtml(text: string): string {
  return `<p>${text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/\n/g, '<br>')}</p>`;
}

export function renderNotice(language: Language, kind: NoticeKind, params: NoticeParams): NoticeText {
  return catalogues[language][kind](params);
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

export function formatWhen(language: Language, at: Date): string {
  return (
    new Intl.DateTimeFormat(language === 'en' ? 'en-GB' : 'ru-RU', {
      dateStyle: 'short',
      timeStyle: 'short',
      timeZone: 'Europe/Moscow',
    }).format(at) + (language === 'en' ? ' MSK' : ' МСК')
  );
}
