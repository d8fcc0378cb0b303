/**
 * CH-1: an SMS notice the gateway reports undeliverable goes out again by push and e-mail, never
 * a code or a link (a code by e-mail would weaken the proof of the number). Idempotent: the
 * fallback sends carry ids derived from the SMS's own id.
 */
import type { ContactRegistry, History, Mailer, PushSender, SmsMessage } from './ports';
import { textToHtml } from './templates';

/** What a gateway reports on `outbox.sms.report`: the message it was given and the outcome. */
export interface DeliveryReport {
  status: 'delivered' | 'undeliverable';
  message: SmsMessage & { id: string };
}

const NEVER_FALL_BACK = /^(code_|identity_link$|test)/;

export type FallbackOutcome = 'delivered' | 'skipped_code' | 'fallback_sent' | 'no_account';

export async function handleDeliveryReport(
  report: DeliveryReport,
  deps: { registry: ContactRegistry; push: PushSender; mailer: Mailer; history: History },
): Promise<FallbackOutcome> {
  if (report.status !== 'undeliverable') return 'delivered';
  const m = report.message;
  if (NEVER_FALL_BACK.test(m.kind)) return 'skipped_code';
  const account = await deps.registry.getAccount(m.accountId);
  if (!account) return 'no_account';
  const channels = ['push'];
  await deps.push.send({ accountId: m.accountId, requestId: m.requestId, kind: m.kind, title: 'Госуслуги', body: m.text }, `${m.id}/fallback/push`);
  if (account.value.email) {
    await deps.mailer.send({ to: account.value.email, subject: m.text.slice(0, 60), text: m.text, html: textToHtml(m.text) }, `${m.id}/fallback/email`);
    channels.push('email');
  }
  await deps.history.append(
    m.accountId,
    { at: new Date().toISOString(), kind: 'sms_undeliverable', requestId: m.requestId, channels, text: `SMS "${m.kind}" undeliverable; sent by ${channels.join(' and ')} instead` },
    `${m.id}/fallback/history`,
  );
  return 'fallback_sent';
}
