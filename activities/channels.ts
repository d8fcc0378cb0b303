/**
 * Channels, registered once: where a notice goes on each (its addresses), how it is rendered (the
 * channel's template file under templates/) and which port carries it; and the fallback rule, what
 * an undelivered message is relayed on instead (CH-1). Adding a channel is one adapter behind a
 * port, one template file and one entry here (README "Adding a channel").
 */
import type { ChannelName } from '../workflows/domain/channels';
import type { Account, ActivityDeps, Language } from './ports';
import type { NoticeKind, NoticeParams } from './templates/kinds';
import { relayEmail, renderEmail } from './templates/email';
import { relayPush, renderPush } from './templates/push';
import { smsTexts } from './templates/sms';

/** Whom and what a message is about. */
export interface About {
  accountId: string;
  requestId: string;
  kind: string;
  language: Language;
}

/** What a notice says, before a channel renders it. */
export interface Notice extends About {
  kind: NoticeKind;
  params: NoticeParams;
}

/** Which addresses of a notice request a channel serves, each with its de-duplication key under the notice's key. */
export interface NoticeAddresses {
  accountId: string;
  smsTo: string[];
  email?: string;
  push: boolean;
}

export interface Channel {
  addresses(req: NoticeAddresses): { to: string; key: string }[];
  /** CH-1: where a relayed message reaches the account on this channel, if it can. */
  addressOf(account: Account): string | undefined;
  /** Renders the notice with this channel's template and sends it, once per `dedupId`. */
  send(to: string, notice: Notice, dedupId: string): Promise<void>;
  /** CH-1: sends a text written for another channel as this channel's message, once per `dedupId`. */
  relay(to: string, text: string, about: About, dedupId: string): Promise<void>;
}

export type ChannelPorts = Pick<ActivityDeps, 'sms' | 'mailer' | 'push'>;

/** The registration table: every channel over its port. */
export function createChannels({ sms, mailer, push }: ChannelPorts): Record<ChannelName, Channel> {
  const meta = (n: About) => ({ accountId: n.accountId, requestId: n.requestId, kind: n.kind });
  return {
    sms: {
      addresses: (req) => req.smsTo.map((to, i) => ({ to, key: `sms/${i}` })),
      addressOf: (account) => account.phone,
      send: (to, n, id) => sms.send({ to, text: smsTexts[n.language][n.kind](n.params), ...meta(n) }, id),
      relay: (to, text, n, id) => sms.send({ to, text, ...meta(n) }, id),
    },
    email: {
      addresses: (req) => (req.email ? [{ to: req.email, key: 'email' }] : []),
      addressOf: (account) => account.email,
      send: (to, n, id) => mailer.send({ to, kind: n.kind, ...renderEmail(n.language, n.kind, n.params) }, id),
      relay: (to, text, _n, id) => mailer.send({ to, kind: 'sms_fallback', ...relayEmail(text) }, id),
    },
    push: {
      addresses: (req) => (req.push ? [{ to: req.accountId, key: 'push' }] : []),
      addressOf: (account) => account.accountId,
      send: (_to, n, id) => push.send({ ...meta(n), ...renderPush(n.language, n.kind, n.params) }, id),
      relay: (_to, text, n, id) => push.send({ ...meta(n), ...relayPush(n.language, text) }, id),
    },
  };
}

/**
 * CH-1: what an undelivered message is relayed on instead, in order. An SMS the gateway reports
 * undeliverable goes by push and e-mail (never a code or a link: delivery-fallback.ts).
 */
export const fallbackRules: Record<ChannelName, readonly ChannelName[]> = {
  sms: ['push', 'email'],
  email: [],
  push: [],
};
