/**
 * REC-1, REC-2, SIG-2: the texts of the account's own messages outside a phone change (a recycled
 * number released, a password reset code, a temporary password, a password changed), in Russian
 * and English. Sent straight to their channels by activities/recycling.ts and passwords.ts, not
 * through the change's notice kinds (a recycled number must never get the former owner's SMS).
 */
import type { Language } from '../ports';

export const recycledNumberText: Record<Language, (masked: string) => { subject: string; body: string; push: string }> = {
  ru: (masked) => ({
    subject: 'Номер телефона больше не привязан к учётной записи',
    body: `Оператор связи сообщил, что номер ${masked} передан другому абоненту. Мы отвязали его от вашей учётной записи: коды и уведомления на него больше не отправляются. Чтобы указать новый номер, обратитесь в службу поддержки или в центр обслуживания с паспортом.`,
    push: `Номер ${masked} передан оператором другому абоненту и отвязан. Смените номер через поддержку.`,
  }),
  en: (masked) => ({
    subject: 'Your phone number is no longer linked to your account',
    body: `Your operator reports that the number ${masked} now belongs to another subscriber. We unlinked it from your account: no codes or notices go to it any more. To set a new number, contact support or visit a service centre with your passport.`,
    push: `The number ${masked} went to another subscriber and was unlinked. Change your number through support.`,
  }),
};

export const resetCodeText: Record<Language, (code: string, ttl: number) => { subject: string; text: string }> = {
  ru: (code, ttl) => ({
    subject: 'Код для восстановления пароля',
    text: `Код для восстановления пароля: ${code}. Действует ${ttl} мин. Никому не сообщайте его. Если вы не восстанавливаете пароль, обратитесь в поддержку.`,
  }),
  en: (code, ttl) => ({ subject: 'Password reset code', text: `Your password reset code: ${code}. Valid for ${ttl} min. Do not share it. If you are not resetting your password, contact support.` }),
};
export const temporaryPasswordText: Record<Language, (pw: string) => string> = {
  ru: (pw) => `Госуслуги: временный пароль ${pw}. Действует 24 ч, смените его при первом входе.`,
  en: (pw) => `Gosuslugi: temporary password ${pw}. Valid 24 h; change it at first login.`,
};

export const passwordChangedText: Record<Language, { subject: string; text: string }> = {
  ru: { subject: 'Пароль изменён', text: 'Пароль вашей учётной записи изменён. Если это были не вы, обратитесь в поддержку.' },
  en: { subject: 'Password changed', text: 'Your password was changed. If it was not you, contact support.' },
};
