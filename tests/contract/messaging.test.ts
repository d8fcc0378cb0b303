/** The JetStream ports that tell other systems (push gateway, domain events, linked services), and their fakes. */
import { jetstream } from '@nats-io/jetstream';
import { JetStreamEvents, JetStreamLinkedServices, JetStreamPush, readSubject } from '../../activities/adapters/nats/publishers';
import { STREAMS, SUBJECTS } from '../../activities/adapters/nats/resources';
import type { DomainEvent, LinkedServiceMessage, PushMessage } from '../../activities/ports';
import { FakeEvents, FakeLinkedServices, FakePush } from '../support/fakes';
import { contract, natsOfRun, senderCases, unique, type SenderSubject } from './contract';

/** What a stream subject holds for one account, projected. */
async function onSubject<T extends { accountId: string }, Seen>(stream: string, subject: string, accountId: string, seen: (m: T) => Seen): Promise<Seen[]> {
  const { nc } = await natsOfRun();
  return (await readSubject<T>(jetstream(nc), stream, subject))
    .map((m) => m.data)
    .filter((m) => m.accountId === accountId)
    .map(seen);
}
const account = () => unique('acct');

const push = (accountId: string, n: number): PushMessage => ({ accountId, requestId: 'K7M2QX9PHA', kind: 'completed', title: 'Номер изменён', body: `Госуслуги: номер изменён (${n})` });
const seenPush = ({ accountId, kind, title, body }: PushMessage) => ({ accountId, kind, title, body });

contract<SenderSubject<PushMessage, ReturnType<typeof seenPush>>>(
  'PushSender',
  [
    {
      name: 'JetStream outbox',
      async open() {
        const sender = new JetStreamPush(jetstream((await natsOfRun()).nc));
        return { send: (m, id) => sender.send(m, id), delivered: (a) => onSubject(STREAMS.outbox.name, SUBJECTS.push, a, seenPush) };
      },
    },
    {
      name: 'in-memory fake',
      async open() {
        const sender = new FakePush();
        return { send: (m, id) => sender.send(m, id), delivered: async (a) => sender.sent.filter((m) => m.accountId === a).map(seenPush) };
      },
    },
  ],
  senderCases(push, seenPush, account),
);

const EVENT_TYPE = 'contract_test';
const event = (accountId: string, n: number): DomainEvent => ({ type: EVENT_TYPE, accountId, requestId: `K7M2QX9PH${n}`, at: '2026-11-25T01:17:00.000Z', channel: 'sms' });
const seenEvent = ({ type, accountId, requestId, at, channel }: DomainEvent) => ({ type, accountId, requestId, at, channel });

contract<SenderSubject<DomainEvent, ReturnType<typeof seenEvent>>>(
  'EventPublisher',
  [
    {
      name: 'JetStream events',
      async open() {
        const events = new JetStreamEvents(jetstream((await natsOfRun()).nc));
        return { send: (e, id) => events.publish(e, id), delivered: (a) => onSubject(STREAMS.events.name, SUBJECTS.event(EVENT_TYPE), a, seenEvent) };
      },
    },
    {
      name: 'in-memory fake',
      async open() {
        const events = new FakeEvents();
        return { send: (e, id) => events.publish(e, id), delivered: async (a) => events.sent.filter((e) => e.accountId === a).map(seenEvent) };
      },
    },
  ],
  senderCases(event, seenEvent, account),
);

const SERVICE = 'bank_cards';
const linked = (accountId: string, n: number): LinkedServiceMessage => ({ accountId, requestId: 'K7M2QX9PHA', newPhone: '+79161234567', at: '2026-11-25T01:17:00.000Z', attempt: n });
const seenLinked = ({ accountId, requestId, newPhone, attempt }: LinkedServiceMessage) => ({ accountId, requestId, newPhone, attempt });

contract<SenderSubject<LinkedServiceMessage, ReturnType<typeof seenLinked>>>(
  'LinkedServices (AFTER-1)',
  [
    {
      name: 'JetStream feed per service',
      async open() {
        const services = new JetStreamLinkedServices(jetstream((await natsOfRun()).nc), [SERVICE]);
        return { send: (m, id) => services.notify(SERVICE, m, id), delivered: (a) => onSubject(STREAMS.linked.name, SUBJECTS.linkedChange(SERVICE), a, seenLinked) };
      },
    },
    {
      name: 'in-memory fake',
      async open() {
        const services = new FakeLinkedServices([SERVICE]);
        return { send: (m, id) => services.notify(SERVICE, m, id), delivered: async (a) => services.sent.filter((m) => m.accountId === a && m.service === SERVICE).map(seenLinked) };
      },
    },
  ],
  senderCases(linked, seenLinked, account),
);
