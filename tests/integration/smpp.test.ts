import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SmppSms } from '../../activities/adapters/smpp/smpp-sms';
import { KvSentMarkers } from '../../activities/adapters/nats/sent-markers';
import { ensureNatsResources } from '../../activities/adapters/nats/resources';
import { eventually } from '../support/harness';
import { natsServers } from '../../workers/config';
import { startSmppServer } from '../support/smpp-server';

let nc: NatsConnection;
let server: Awaited<ReturnType<typeof startSmppServer>>;
beforeAll(async () => {
  nc = await connect({ servers: natsServers(inject('natsUrl')) });
  server = await startSmppServer();
});
afterAll(async () => {
  await server?.close();
  await nc?.close();
});

describe('the SMPP adapter (CH-1) against a local SMPP server', () => {
  it('CH-1 CH-2: delivers a Russian two-segment text once per de-duplication id', async () => {
    const markers = new KvSentMarkers((await ensureNatsResources(nc, inject('natsReplicas') ?? 1)).mailSent);
    const sms = new SmppSms({ url: server.url, systemId: 'phone-change', password: 'secret', sourceAddr: 'Gosuslugi' }, markers);
    try {
      const text = 'Госуслуги: номер изменён 25.11.2026, 01:17 МСК. Журнал: https://gosuslugi.ru/journal/K7M2QX9PHA';
      const id = `test/${Date.now()}/completed`;
      const msg = { to: '+79161234567', text, accountId: 'acct-smpp', requestId: 'K7M2QX9PHA', kind: 'completed' };
      await sms.send(msg, id);
      await sms.send(msg, id); // a retried activity
      await sms.send({ ...msg, text: 'Gosuslugi: second' }, `${id}-2`);
      await eventually(() => server.received.length >= 2, 'two submits');
      expect(server.received).toEqual([
        { systemId: 'phone-change', destination: '79161234567', source: 'Gosuslugi', text },
        { systemId: 'phone-change', destination: '79161234567', source: 'Gosuslugi', text: 'Gosuslugi: second' },
      ]);
    } finally {
      await sms.close();
    }
  });

  it('reports a refused bind as a typed error', async () => {
    const markers = new KvSentMarkers((await ensureNatsResources(nc, inject('natsReplicas') ?? 1)).mailSent);
    const sms = new SmppSms({ url: server.url, systemId: 'phone-change', password: 'wrong', sourceAddr: 'Gosuslugi' }, markers);
    const err = await sms.send({ to: '+79161234567', text: 'x', accountId: 'a', requestId: 'r', kind: 'k' }, `bad-${Date.now()}`).catch((e: unknown) => e);
    expect((err as Error).name).toBe('SmppError');
    expect((err as Error).message).toMatch(/bind refused/);
    await sms.close();
  });
});
