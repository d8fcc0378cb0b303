/**
 * SEC-4 (review): an SMTP server that refuses a recipient names the address in its reply, and
 * nodemailer's error quotes that reply in `message`, `response` and `rejected`; the SDK logs a
 * failed activity's error, and history keeps the failure's message in clear. The mailer passes on
 * the kind of failure only. A real SMTP server (smtp-server) that refuses every recipient.
 */
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { MailSendError, SmtpMailer } from '../../activities/adapters/email/smtp-mailer';
import { createLogger } from '../../workers/logger';
import { FakeSentMarkers } from '../support/fakes';

let server: SMTPServer;
let url: string;
beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      callback(Object.assign(new Error(`<${address.address}>: Recipient address rejected: User unknown`), { responseCode: 550 }));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('SEC-4: a refused recipient fails the send with the SMTP codes only: no address in the error, in what the worker logs of it, or in a failure message', async () => {
  const markers = new FakeSentMarkers();
  const mailer = new SmtpMailer(url, 'no-reply@phone-change.local', markers);
  const email = 'anna.ivanova@example.org';
  const error = await mailer.send({ to: email, kind: 'completed', subject: 'Номер изменён', text: 't', html: '<p>t</p>' }, 'k1').then(
    () => undefined,
    (e: unknown) => e,
  );
  await mailer.close();
  expect(error).toBeInstanceOf(MailSendError);
  expect(error).toMatchObject({ code: 'EENVELOPE', responseCode: 550 });
  let logged = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });
  // What workers/logger.ts does with the SDK's "Activity failed" entry.
  createLogger('info', sink).warn({ error, source: 'temporal' }, 'Activity failed');
  for (const [where, text] of Object.entries({ message: (error as Error).message, error: JSON.stringify(error), stack: (error as Error).stack ?? '', log: logged })) {
    expect(text, where).not.toContain('anna.ivanova');
  }
  expect(logged).toContain('"responseCode":550');
  expect(await markers.has('k1')).toBe(false); // nothing was sent, so nothing is marked
});
