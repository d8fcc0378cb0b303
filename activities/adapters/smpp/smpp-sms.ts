/**
 * SMS through SMPP 3.4, the protocol SMS aggregators speak: bind as a transceiver, `submit_sm`
 * with the text in `message_payload` (the library picks GSM-7 or UCS-2). SMPP has no
 * de-duplication, so a marker per de-duplication id is kept after each accepted submit, as for
 * e-mail (SendOnce). The session is opened on first use and again after a failure.
 */
import { createHash } from 'node:crypto';
import * as smpp from 'smpp';
import type { SentMarkers, SmsMessage, SmsSender } from '../../ports';
import { SendOnce } from '../send-once';

export interface SmppOptions {
  url: string;
  systemId: string;
  password: string;
  /** Sender name shown on the phone. */
  sourceAddr: string;
}

export class SmppError extends Error {
  override name = 'SmppError';
}

export class SmppSms implements SmsSender {
  private session?: Promise<smpp.Session>;
  private readonly once: SendOnce;

  constructor(
    private readonly o: SmppOptions,
    markers: SentMarkers,
  ) {
    this.once = new SendOnce(markers);
  }

  async send(message: SmsMessage, dedupId: string): Promise<void> {
    const key = `sms-${createHash('sha256').update(dedupId).digest('hex')}`;
    await this.once.run(key, () => this.submit(message));
  }

  private async submit(message: SmsMessage): Promise<void> {
    const session = await this.bound();
    const pdu = await new Promise<smpp.PDU>((resolve) =>
      session.submit_sm(
        {
          source_addr_ton: 5, // alphanumeric sender
          source_addr: this.o.sourceAddr,
          dest_addr_ton: 1,
          dest_addr_npi: 1,
          destination_addr: message.to.replace(/^\+/, ''),
          registered_delivery: 1,
          message_payload: message.text,
        },
        resolve,
      ),
    );
    if (pdu.command_status !== 0) throw new SmppError(`submit_sm refused with status ${pdu.command_status}`);
  }

  private bound(): Promise<smpp.Session> {
    this.session ??= new Promise<smpp.Session>((resolve, reject) => {
      const session = smpp.connect({ url: this.o.url, auto_enquire_link_period: 10_000 }, () => {
        session.bind_transceiver({ system_id: this.o.systemId, password: this.o.password }, (pdu) => {
          if (pdu.command_status === 0) return resolve(session);
          session.destroy();
          reject(new SmppError(`bind refused with status ${pdu.command_status}`));
        });
      });
      const drop = () => {
        this.session = undefined;
      };
      session.on('error', (err: Error) => {
        drop();
        reject(new SmppError(`SMPP connection failed: ${err.message}`));
      });
      session.on('close', drop);
    });
    return this.session;
  }

  async close(): Promise<void> {
    await this.once.flush();
    const s = await this.session?.catch(() => undefined);
    this.session = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
