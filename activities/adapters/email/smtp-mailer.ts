/**
 * E-mail through nodemailer. SMTP has no de-duplication of its own: SendOnce keeps a marker per
 * de-duplication id once the server accepted the mail, and the Message-ID is derived from the same
 * id, so a copy sent in the one window a marker cannot cover (the process dies between the
 * server's 250 and the marker) is recognisably the same message to the receiving side.
 */
import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage, Mailer, SentMarkers } from '../../ports';
import { SendOnce } from '../send-once';

/**
 * nodemailer's default socket timeout is 10 minutes: a server that stalls mid-mail would hold the
 * attempt (and every retry that joins it) long past the activity's 20 s start-to-close timeout.
 * Pooled: a connection per mail cost a handshake of five round trips, most of a send's 150 ms in
 * the bench (issue 12); a pooled connection that breaks is replaced by the pool.
 * Given as URL parameters because nodemailer ignores other options next to a URL; the URL's own win.
 */
function withTimeouts(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  for (const [k, v] of Object.entries({ pool: 'true', connectionTimeout: '5000', greetingTimeout: '5000', socketTimeout: '10000' })) {
    if (!url.searchParams.has(k)) url.searchParams.set(k, v);
  }
  return url.toString();
}

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  private readonly once: SendOnce;
  constructor(
    smtpUrl: string,
    private readonly from: string,
    markers: SentMarkers,
  ) {
    this.transport = nodemailer.createTransport(withTimeouts(smtpUrl));
    this.once = new SendOnce(markers);
  }

  async send(message: MailMessage, dedupId: string): Promise<void> {
    const key = createHash('sha256').update(dedupId).digest('hex');
    await this.once.run(key, async () => {
      try {
        await this.transport.sendMail({ from: this.from, messageId: `<${key}@phone-change>`, to: message.to, subject: message.subject, text: message.text, html: message.html });
      } catch (err) {
        throw withoutAddresses(err);
      }
    });
  }

  /** Stores markers still held in memory, then closes the transport. */
  async close(): Promise<void> {
    await this.once.flush();
    this.transport.close();
  }
}

/**
 * SEC-4 (review): nodemailer's errors quote the server's reply, which names the refused address
 * ("550 <anna@…>: Recipient address rejected"), in `message`, `response` and `rejected`; the SDK
 * logs a failed activity's error and history keeps its message in clear. What leaves here is the
 * kind of failure only: nodemailer's code and the SMTP reply code. Still retryable, as before.
 */
export class MailSendError extends Error {
  override name = 'MailSendError';
  constructor(
    readonly code: string | undefined,
    readonly responseCode: number | undefined,
  ) {
    super(`the SMTP server did not take the mail (${code ?? 'no code'}${responseCode ? `, reply ${responseCode}` : ''})`);
  }
}

function withoutAddresses(err: unknown): MailSendError {
  const e = err as { code?: unknown; responseCode?: unknown };
  return new MailSendError(typeof e.code === 'string' ? e.code : undefined, typeof e.responseCode === 'number' ? e.responseCode : undefined);
}
