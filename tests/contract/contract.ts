/**
 * Contract suites, as kratos runs one persister suite against every persister: a port's table of
 * cases runs against each of its implementations (the real adapter against its real server, and
 * the in-memory fake of tests/support/fakes.ts), so both are held to one behaviour.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ensureNatsResources, type NatsResources } from '../../activities/adapters/nats/resources';

/** One implementation of a port: how to open it, with whatever the cases observe of it. */
export interface Implementation<S> {
  name: string;
  open(): Promise<S & { close?(): Promise<void> }>;
}

export interface Case<S> {
  name: string;
  run(subject: S): Promise<void>;
}

/** Runs every case against every implementation, each implementation opened once. */
export function contract<S>(port: string, implementations: Implementation<S>[], cases: Case<S>[]): void {
  describe.each(implementations)(`${port} contract: $name`, (impl) => {
    let opened: (S & { close?(): Promise<void> }) | undefined;
    const subject = async () => (opened ??= await impl.open());
    afterAll(async () => opened?.close?.());
    for (const c of cases) it(c.name, async () => c.run(await subject()));
  });
}

/** A name no other case or test file uses. */
export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Far sides (a stream, a server) show a message a little after the send under load. */
export const POLL = { timeout: 10_000, interval: 50 };

let nats: Promise<{ nc: NatsConnection; res: NatsResources }> | undefined;

/** The run's NATS server (global setup) and the project's streams and buckets, opened once per file. */
export function natsOfRun(): Promise<{ nc: NatsConnection; res: NatsResources }> {
  nats ??= (async () => {
    const nc = await connect({ servers: inject('natsUrl').split(',') });
    return { nc, res: await ensureNatsResources(nc, inject('natsReplicas') ?? 1) };
  })();
  return nats;
}
afterAll(async () => (await nats)?.nc.close());

/** A sender port seen from outside: what it was given, and what reached the far side for one mark (a number, an address, an account). */
export interface SenderSubject<M, Seen> {
  send(message: M, dedupId: string): Promise<void>;
  /** What arrived for `mark`, oldest first, as `seen` projects a message. */
  delivered(mark: string): Promise<Seen[]>;
}

/**
 * CH-1, the table every sender (SMS, push, mail, events, linked services) answers to: it delivers
 * what it is given, and once per de-duplication id however often and however concurrently it is
 * retried. `message(mark, n)` makes the n-th distinct message for a mark; `seen` projects a
 * message to what the far side shows of it.
 */
export function senderCases<M, Seen>(message: (mark: string, n: number) => M, seen: (m: M) => Seen, mark: () => string): Case<SenderSubject<M, Seen>>[] {
  return [
    {
      name: 'CH-1: delivers what it is given',
      async run(s) {
        const to = mark();
        await s.send(message(to, 1), unique('id'));
        await expect.poll(() => s.delivered(to), POLL).toEqual([seen(message(to, 1))]);
      },
    },
    {
      name: 'CH-1: the same id again delivers nothing more (a retried activity)',
      async run(s) {
        const [to, id] = [mark(), unique('id')];
        await s.send(message(to, 1), id);
        await s.send(message(to, 1), id);
        await s.send(message(to, 2), unique('id'));
        await expect.poll(() => s.delivered(to), POLL).toEqual([seen(message(to, 1)), seen(message(to, 2))]);
      },
    },
    {
      name: 'CH-1: two concurrent sends of one id deliver once',
      async run(s) {
        const [to, id] = [mark(), unique('id')];
        await Promise.all([s.send(message(to, 1), id), s.send(message(to, 1), id)]);
        await s.send(message(to, 2), unique('id'));
        await expect.poll(() => s.delivered(to), POLL).toEqual([seen(message(to, 1)), seen(message(to, 2))]);
      },
    },
  ];
}
