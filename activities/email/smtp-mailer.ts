/**
 * E-mail through nodemailer. SMTP has no de-duplication of its own: a marker per de-duplication id
 * is kept in a KV bucket after a successful send, so a retried activity skips a mail already sent,
 * and the Message-ID is derived from the same id so a receiving server can drop a copy sent in the
 * narrow window between the send and the marker.
 */
import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage, Mailer } from '../ports';

/** Where "already sent" is remembered; a NATS KV bucket in production. */
export interface SentMarkers {
  has(key: string): Promise<boolean>;
  mark(key: string): Promise<void>;
}

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly markers: SentMarkers,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  async send(message: MailMessage, dedupId: string): Promise<void> {
    const key = createHash('sha256').update(dedupId).digest('hex');
    if (await this.markers.has(key)) return;
    await this.transport.sendMail({ from: this.from, messageId: `<${key}@phone-change>`, ...message });
    await this.markers.mark(key);
  }

  close(): void {
    this.transport.close();
  }
}
