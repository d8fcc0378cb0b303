/**
 * CH-1: an SMS notice the gateway reports undeliverable goes out again on the channels of the
 * fallback rule (activities/channels.ts: push and e-mail); only a notice does, never a code, a link or a temporary password (a code by e-mail would weaken the proof of the number, a password by e-mail would go where REC-2 says the citizen cannot look). Anyone who can publish
 * on the report subject can send a report, so a report is trusted for nothing but the id of an SMS
 * and its status: the message, its account and its text are the ones the portal stored when it
 * sent that SMS. Idempotent: the fallback sends carry ids derived from the SMS's own id.
 */
import { z } from 'zod';
import type { ContactRegistry, History, SmsMessage } from './ports';
import { createChannels, fallbackRules, type ChannelPorts } from './channels';
import type { ChannelName } from '../workflows/domain/channels';
import type { FallbackOutcome } from '../workflows/domain/outcomes';
import { noticeKinds } from './templates';

/** What a gateway publishes on `outbox.sms.report`; anything else in it is ignored. */
export const deliveryReportSchema = z.object({
  id: z.string().min(1).max(512),
  status: z.enum(['delivered', 'undeliverable']),
});
export type DeliveryReport = z.infer<typeof deliveryReportSchema>;

/**
 * Only the change's notices fall back; every other SMS (a code, a link, a test code, a temporary
 * password, and whatever is added later) holds a secret or proves the number, and goes by SMS alone.
 * An allow-list, so a new secret-bearing kind cannot be relayed by being forgotten here.
 */
const MAY_FALL_BACK: ReadonlySet<string> = new Set(noticeKinds);

export interface FallbackDeps extends ChannelPorts {
  registry: ContactRegistry;
  history: History;
  /** The SMS the portal sent with this id, or undefined. */
  findSentSms(id: string): Promise<(SmsMessage & { id: string }) | undefined>;
}

export async function handleDeliveryReport(report: DeliveryReport, deps: FallbackDeps): Promise<FallbackOutcome> {
  if (report.status !== 'undeliverable') return 'delivered';
  const m = await deps.findSentSms(report.id);
  if (!m) return 'unknown_sms';
  if (!MAY_FALL_BACK.has(m.kind)) return 'skipped_code';
  const account = await deps.registry.getAccount(m.accountId);
  if (!account) return 'no_account';
  const channels = createChannels(deps);
  const sentOn: ChannelName[] = [];
  for (const name of fallbackRules.sms) {
    const to = channels[name].addressOf(account.value);
    if (!to) continue;
    await channels[name].relay(to, m.text, { ...m, language: account.value.language }, `${m.id}/fallback/${name}`);
    sentOn.push(name);
  }
  await deps.history.append(
    m.accountId,
    { at: new Date().toISOString(), kind: 'sms_undeliverable', requestId: m.requestId, channels: sentOn, text: `SMS "${m.kind}" undeliverable; sent by ${sentOn.join(' and ')} instead` },
    `${m.id}/fallback/history`,
  );
  return 'fallback_sent';
}
