/**
 * A real SMTP server for development and tests that keeps what it receives: parsed messages in
 * memory (tests wait on them) and, when a folder is given, each message as an .eml file. A client
 * that dies mid-mail must not take the host process down (`npm start`, a test run), so socket
 * errors are listened to and a message cut short is dropped, as a real server would.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId?: string;
}

export interface SmtpSink {
  url: string;
  port: number;
  received: ReceivedMail[];
  /** Resolves with the messages matching `pred` once there are at least `count`. */
  waitFor(pred: (m: ReceivedMail) => boolean, count?: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** Where a test may hold a mail transaction (to kill the client there): on connect (before the greeting), or after the server stored the mail but before its 250. */
export type SmtpStage = 'connect' | 'accepted';

export interface SmtpSinkOptions {
  port?: number;
  dir?: string;
  /** Awaited at each stage before the server goes on; tests only. */
  pauseAt?: (stage: SmtpStage) => Promise<void> | void;
}

function toReceived(parsed: ParsedMail): ReceivedMail {
  const to = [parsed.to].flat().flatMap((a) => (a ? a.value.map((v) => v.address ?? '') : []));
  return { to, subject: parsed.subject ?? '', text: parsed.text ?? '', html: typeof parsed.html === 'string' ? parsed.html : '', messageId: parsed.messageId };
}

export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  if (opts.dir) mkdirSync(opts.dir, { recursive: true });
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      Promise.resolve(opts.pauseAt?.('connect')).then(() => callback(), callback);
    },
    async onData(stream, _session, callback) {
      try {
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(c as Buffer);
        // The client went away before the final dot: nothing was accepted.
        if (!stream.readableEnded) return callback(new Error('message cut short'));
        const raw = Buffer.concat(chunks);
        received.push(toReceived(await simpleParser(raw)));
        if (opts.dir) writeFileSync(join(opts.dir, `${Date.now()}-${++n}.eml`), raw);
        for (const w of waiters) w();
        await opts.pauseAt?.('accepted');
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
  // A client reset mid-transaction is reported here; unlistened, it would crash the host (ECONNRESET).
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    waitFor(pred, count = 1, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hits = received.filter(pred);
          if (hits.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hits);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} matching mail(s) within ${timeoutMs} ms; got ${received.filter(pred).length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
