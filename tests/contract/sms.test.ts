/** The SmsSender port: the JetStream outbox, SMPP straight to an aggregator, and the fake. */
import { jetstream } from '@nats-io/jetstream';
import { JetStreamSms, readSubject } from '../../activities/adapters/nats/publishers';
import { STREAMS, SUBJECTS } from '../../activities/adapters/nats/resources';
import { KvSentMarkers } from '../../activities/adapters/nats/sent-markers';
import { SmppSms } from '../../activities/adapters/smpp/smpp-sms';
import type { SmsMessage, SmsSender } from '../../activities/ports';
import { FakeSms } from '../support/fakes';
import { startSmppServer } from '../support/smpp-server';
import { contract, natsOfRun, senderCases, type SenderSubject } from './contract';

type Seen = Pick<SmsMessage, 'to' | 'text'>;
type Subject = SenderSubject<SmsMessage, Seen>;

// CH-2: a Russian text of two UCS-2 segments must arrive whole, whichever gateway carries it.
const message = (to: string, n: number): SmsMessage => ({
  to,
  text: `Госуслуги: номер изменён 25.11.2026, 01:17 МСК. Журнал: https://gosuslugi.ru/journal/K7M2QX9PH${n}`,
  accountId: 'acct-contract',
  requestId: 'K7M2QX9PHA',
  kind: 'completed',
});
const seen = (m: SmsMessage): Seen => ({ to: m.to, text: m.text });
const phone = () => `+7916${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

const withSeen = (sms: SmsSender, delivered: (to: string) => Promise<Seen[]>, close?: () => Promise<void>) => ({ send: sms.send.bind(sms), delivered, close });

contract<Subject>(
  'SmsSender',
  [
    {
      name: 'JetStream outbox',
      async open() {
        const { nc, res } = await natsOfRun();
        const js = jetstream(nc);
        return withSeen(new JetStreamSms(js, res.smsSent), async (to) => (await readSubject<SmsMessage>(js, STREAMS.outbox.name, SUBJECTS.sms)).map((m) => seen(m.data)).filter((m) => m.to === to));
      },
    },
    {
      name: 'SMPP against a local SMPP server',
      async open() {
        const { res } = await natsOfRun();
        const server = await startSmppServer();
        const sms = new SmppSms({ url: server.url, systemId: 'phone-change', password: 'secret', sourceAddr: 'Gosuslugi' }, new KvSentMarkers(res.mailSent));
        return withSeen(
          sms,
          async (to) => server.received.filter((r) => `+${r.destination}` === to).map((r) => ({ to: `+${r.destination}`, text: r.text })),
          async () => {
            await sms.close();
            await server.close();
          },
        );
      },
    },
    {
      name: 'in-memory fake',
      async open() {
        const sms = new FakeSms();
        return withSeen(sms, async (to) => sms.sent.filter((m) => m.to === to).map(seen));
      },
    },
  ],
  senderCases(message, seen, phone),
);
