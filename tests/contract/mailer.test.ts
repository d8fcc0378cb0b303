/** The Mailer port: nodemailer against a real local SMTP server, and the fake. */
import { KvSentMarkers } from '../../activities/adapters/nats/sent-markers';
import { SmtpMailer } from '../../activities/adapters/email/smtp-mailer';
import type { MailMessage } from '../../activities/ports';
import { startSmtpSink } from '../../temporal-config/smtp-sink';
import { FakeMailer } from '../support/fakes';
import { contract, natsOfRun, senderCases, unique, type SenderSubject } from './contract';

type Seen = Pick<MailMessage, 'to' | 'subject' | 'text'>;

const message = (to: string, n: number): MailMessage => ({
  to,
  subject: `Номер телефона изменён (${n})`,
  text: `Номер телефона вашей учётной записи изменён, заявка K7M2QX9PH${n}.`,
  html: `<p>Номер телефона вашей учётной записи изменён, заявка K7M2QX9PH${n}.</p>`,
});
const seen = (m: MailMessage): Seen => ({ to: m.to, subject: m.subject, text: m.text });

contract<SenderSubject<MailMessage, Seen>>(
  'Mailer',
  [
    {
      name: 'nodemailer against a local SMTP server',
      async open() {
        const { res } = await natsOfRun();
        const sink = await startSmtpSink();
        const mailer = new SmtpMailer(sink.url, '"Госуслуги" <no-reply@phone-change.local>', new KvSentMarkers(res.mailSent));
        return {
          send: (m, id) => mailer.send(m, id),
          delivered: async (to) => sink.received.filter((m) => m.to.includes(to)).map((m) => ({ to, subject: m.subject, text: m.text.trimEnd() })),
          async close() {
            await mailer.close();
            await sink.close();
          },
        };
      },
    },
    {
      name: 'in-memory fake',
      async open() {
        const mailer = new FakeMailer();
        return { send: (m, id) => mailer.send(m, id), delivered: async (to) => mailer.sent.filter((m) => m.to === to).map(seen) };
      },
    },
  ],
  senderCases(message, seen, () => `${unique('citizen')}@example.test`),
);
