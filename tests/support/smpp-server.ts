/** A real SMPP 3.4 server for tests (the `smpp` package's), keeping what it receives. */
import * as smpp from 'smpp';

export interface Received {
  systemId?: string;
  destination: string;
  source: string;
  text: string;
}

/** A real SMPP 3.4 server (the `smpp` package's) on a free loopback port that accepts one system id. */
export async function startSmppServer() {
  const received: Received[] = [];
  const server = smpp.createServer({ debug: false }, (session) => {
    let systemId: string | undefined;
    session.on('bind_transceiver', (pdu: smpp.PDU) => {
      systemId = pdu.system_id as string;
      session.send(pdu.response(pdu.password === 'secret' ? {} : { command_status: 0x0e })); // ESME_RINVPASWD
    });
    session.on('submit_sm', (pdu: smpp.PDU) => {
      const payload = (pdu.message_payload ?? pdu.short_message) as { message: string };
      received.push({ systemId, destination: pdu.destination_addr as string, source: pdu.source_addr as string, text: payload.message });
      session.send(pdu.response({ message_id: String(received.length) }));
    });
    session.on('enquire_link', (pdu: smpp.PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: smpp.PDU) => session.send(pdu.response()));
    session.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smpp://127.0.0.1:${server.address().port}`,
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const s of (server as unknown as { sessions: smpp.Session[] }).sessions) s.destroy();
        server.close(() => r());
      }),
  };
}
