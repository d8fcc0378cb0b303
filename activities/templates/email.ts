/** The e-mail channel's texts: a subject and a body per notice; the HTML part is the text, escaped. */
import type { Language } from '../ports';
import type { Catalogue, NoticeKind, NoticeParams } from './kinds';

export const emailTexts: Catalogue<{ subject: string; body: string }> = {
  ru: {
    requested: (p) => ({
      subject: 'Запрошена смена номера телефона',
      body: `Для вашей учётной записи запрошена смена номера телефона на ${p.newPhoneMasked}. Номер заявки: ${p.requestId}.\nЕсли это были не вы, не сообщайте никому коды и отмените смену: ${p.rejectUrl ?? 'обратитесь в службу поддержки'}`,
    }),
    identity_mismatch: (p) => ({
      subject: 'Данные не совпали с профилем',
      body: `При подтверждении личности (заявка ${p.requestId}) ФИО или паспортные данные не совпали с профилем. Проверьте их и введите снова.`,
    }),
    frequent_change: (p) => ({
      subject: 'Частая смена номера телефона',
      body: `Номер телефона вашей учётной записи меняется второй раз за сутки (заявка ${p.requestId}). Для безопасности заявка будет выполнена только после проверки личности службой поддержки. Обратитесь в поддержку или в центр обслуживания с паспортом.`,
    }),
    sim_swap: (p) => ({
      subject: 'Смена номера остановлена: SIM-карта недавно заменена',
      body: `Оператор сообщил, что SIM-карта вашего старого номера недавно заменена. Код со старого номера поэтому не подтверждает смену (заявка ${p.requestId}). Если SIM-карту меняли не вы, обратитесь к оператору связи. Подтвердите личность: в центре обслуживания с паспортом, по видеосвязи в приложении или электронной подписью.`,
    }),
    sim_swap_unverified: (p) => ({
      subject: 'Смена номера ждёт проверки поддержкой',
      body: `Не удалось проверить у оператора связи, не менялась ли недавно SIM-карта старого номера (заявка ${p.requestId}). Для безопасности заявку проверит служба поддержки. Подтвердите личность: в центре обслуживания с паспортом, по видеосвязи в приложении или электронной подписью.`,
    }),
    old_number_lost: (p) => ({
      subject: 'Смена номера без доступа к старому номеру',
      body: `Вы сообщили, что старый номер недоступен (заявка ${p.requestId}). Подтвердите личность: в центре обслуживания с паспортом, по видеосвязи в приложении, электронной подписью или письменным обращением.`,
    }),
    support_override: (p) => ({
      subject: 'Личность подтверждена поддержкой',
      body: `Служба поддержки подтвердила вашу личность по заявке ${p.requestId}. Осталось подтвердить новый номер кодом из SMS.`,
    }),
    rejected: (p) => ({
      subject: 'Смена номера телефона отклонена',
      body: `Смена номера телефона по заявке ${p.requestId} отклонена. Если заявку подали не вы, смените пароль и проверьте журнал действий.`,
    }),
    cancelled: (p) => ({
      subject: 'Заявка на смену номера отменена',
      body: `Заявка ${p.requestId} на смену номера телефона отменена. Номер не изменился.`,
    }),
    wrong_code: (p) => ({
      subject: 'Неверный код подтверждения',
      body: `При смене номера телефона введён неверный код (заявка ${p.requestId}). Нажмите «Получить код повторно» и введите новый код.`,
    }),
    completed: (p) => ({
      subject: 'Номер телефона изменён',
      body: `Номер телефона вашей учётной записи изменён ${p.when} (заявка ${p.requestId}). Теперь коды и уведомления приходят на новый номер.\nЖурнал действий: ${p.journalUrl}`,
    }),
    reverted: (p) => ({
      subject: 'Прежний номер телефона восстановлен',
      body: `Служба поддержки вернула прежний номер телефона вашей учётной записи ${p.when}: смена по заявке ${p.requestId} была выполнена не вами. Рекомендуем сменить пароль.`,
    }),
    completed_old: (p) => ({
      subject: 'Номер телефона заменён',
      body: `Номер телефона вашей учётной записи заменён ${p.when} (заявка ${p.requestId}).`,
    }),
    failed: (p) => ({
      subject: 'Смена номера телефона не выполнена',
      body: `Смена номера телефона не выполнена (заявка ${p.requestId}): исчерпаны попытки или номер недоступен.\nЕсли вы не запрашивали смену номера, обратитесь в службу поддержки.`,
    }),
    expired: (p) => ({
      subject: 'Заявка на смену номера истекла',
      body: `Заявка ${p.requestId} на смену номера телефона не была завершена вовремя и закрыта. Начните смену номера заново.`,
    }),
  },
  en: {
    requested: (p) => ({
      subject: 'Phone number change requested',
      body: `A change of your account's phone number to ${p.newPhoneMasked} was requested. Request id: ${p.requestId}.\nIf this wasn't you, share no codes and cancel it: ${p.rejectUrl ?? 'contact support'}`,
    }),
    identity_mismatch: (p) => ({
      subject: 'Data did not match the profile',
      body: `While confirming your identity (request ${p.requestId}) the full name or passport data did not match the profile. Check them and enter them again.`,
    }),
    frequent_change: (p) => ({
      subject: 'Frequent phone number changes',
      body: `Your account's phone number is changing for the second time within a day (request ${p.requestId}). For your safety the change goes ahead only after support has checked your identity. Contact support or visit a service centre with your passport.`,
    }),
    sim_swap: (p) => ({
      subject: 'Phone change held: the SIM card was replaced recently',
      body: `Your operator reports that the SIM card of your old number was replaced recently, so a code from the old number does not confirm the change (request ${p.requestId}). If you did not replace the SIM card, contact your operator. Confirm your identity: at a service centre with your passport, by video in the app, or with an e-signature.`,
    }),
    sim_swap_unverified: (p) => ({
      subject: 'Phone change awaits a support check',
      body: `We could not check with your operator whether the SIM card of your old number was replaced recently (request ${p.requestId}). For your safety, support will check the request. Confirm your identity: at a service centre with your passport, by video in the app, or with an e-signature.`,
    }),
    old_number_lost: (p) => ({
      subject: 'Changing the number without the old one',
      body: `You said the old number is unavailable (request ${p.requestId}). Confirm your identity at a service centre with your passport, by video in the app, with an e-signature or by a written request.`,
    }),
    support_override: (p) => ({
      subject: 'Identity confirmed by support',
      body: `Support confirmed your identity for request ${p.requestId}. What remains is confirming the new number with the SMS code.`,
    }),
    rejected: (p) => ({
      subject: 'Phone number change rejected',
      body: `The phone number change ${p.requestId} was rejected. If you did not request it, change your password and check the action journal.`,
    }),
    cancelled: (p) => ({
      subject: 'Phone number change cancelled',
      body: `Request ${p.requestId} to change the phone number was cancelled. The number did not change.`,
    }),
    wrong_code: (p) => ({
      subject: 'Wrong confirmation code',
      body: `A wrong code was entered while changing your phone number (request ${p.requestId}). Choose "Send code again" and enter the new code.`,
    }),
    completed: (p) => ({
      subject: 'Phone number changed',
      body: `Your account's phone number was changed ${p.when} (request ${p.requestId}). Codes and notices now go to the new number.\nAction journal: ${p.journalUrl}`,
    }),
    reverted: (p) => ({
      subject: 'Previous phone number restored',
      body: `Support restored your account's previous phone number ${p.when}: the change ${p.requestId} was not your doing. We recommend changing your password.`,
    }),
    completed_old: (p) => ({
      subject: 'Phone number replaced',
      body: `Your account's phone number was replaced ${p.when} (request ${p.requestId}).`,
    }),
    failed: (p) => ({
      subject: 'Phone number change failed',
      body: `The phone number change failed (request ${p.requestId}): attempts ran out or the number is unavailable.\nIf you did not request it, contact support.`,
    }),
    expired: (p) => ({
      subject: 'Phone number change expired',
      body: `Request ${p.requestId} to change the phone number was not finished in time and was closed. Please start again.`,
    }),
  },
};

/** The HTML part of an e-mail: the text, escaped, with its line breaks. */
export function textToHtml(text: string): string {
  return `<p>${text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/\n/g, '<br>')}</p>`;
}

export function renderEmail(language: Language, kind: NoticeKind, params: NoticeParams): { subject: string; text: string; html: string } {
  const { subject, body } = emailTexts[language][kind](params);
  return { subject, text: body, html: textToHtml(body) };
}

/** CH-1: a text written for another channel (an undelivered SMS), relayed by e-mail. */
export function relayEmail(text: string): { subject: string; text: string; html: string } {
  return { subject: text.slice(0, 60), text, html: textToHtml(text) };
}
