/**
 * E-mail through nodemailer. SMTP has no de-duplication of its own: SendOnce keeps a marker per
 * de-duplication id once the server accepted the mail, and the Message-ID is derived from the same
 * id, so a copy sent in the one window a marker cannot cover (the process dies between the
 * server's 250 and the marker) is recognisably the same message to the receiving side.
 */
import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage, Mailer } from '../ports';
import { SendOnce, type SentMarkers } from '../send-once';

export type { SentMarkers } from '../send-once';

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  private readonly once: SendOnce;
  constructor(
    smtpUrl: string,
    private readonly from: string,
    markers: SentMarkers,
  ) {
    // An attempt must end (and free its key) well inside the activity's 20 s start-to-close timeout.
    this.transport = nodemailer.createTransport(smtpUrl, { connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 10_000 });
    this.once = new SendOnce(markers);
  }

  async send(message: MailMessage, dedupId: string): Promise<void> {
    const key = createHash('sha256').update(dedupId).digest('hex');
    await this.once.run(key, async () => {
      await this.transport.sendMail({ from: this.from, messageId: `<${key}@phone-change>`, ...message });
    });
  }

  /** Stores markers still held in memory, then closes the transport. */
  async close(): Promise<void> {
    await this.once.flush();
    this.transport.close();
  }
}
