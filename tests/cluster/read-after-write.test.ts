/**
 * PRE-4, PRE-5, REC-3 on a 3-node NATS cluster: a read that follows a write sees it, whichever
 * node the reader is connected to. Runs on the cluster stack only (npm run test:cluster).
 *
 * Why: a KV bucket made with direct gets (the `@nats-io/kv` default) lets every replica answer a
 * read, and a replica that has not yet applied the write answers with what it had. A second start
 * under the same request id would then read "nobody holds it" and run as its holder (two changes
 * for one request), and a change started right after its account's registration would read "no
 * such account". The writer is connected to one node and the reader to another, so the reader's
 * gets are answered by its own node's replica when direct gets are on.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { BUCKETS, ensureNatsResources, type NatsResources } from '../../activities/adapters/nats/resources';
import { NatsContactRegistry } from '../../activities/adapters/nats/registry';
import type { Account } from '../../activities/ports';

const ROUNDS = 200;

let writerNc: NatsConnection;
let readerNc: NatsConnection;
let writer: NatsResources;
let reader: NatsResources;
const registry = (r: NatsResources) => new NatsContactRegistry(r.accounts, r.phoneIndex, r.requestIds);

beforeAll(async () => {
  const [first, second] = inject('natsUrl').split(',');
  writerNc = await connect({ servers: first! });
  readerNc = await connect({ servers: second! });
  writer = await ensureNatsResources(writerNc, 3);
  reader = await ensureNatsResources(readerNc, 3);
});
afterAll(async () => {
  await writerNc?.close();
  await readerNc?.close();
});

const account = (accountId: string): Account => ({ accountId, phone: '+79990000000', phoneConfirmed: true, verified: true, language: 'ru' });

describe('read after write on the cluster (PRE-4, PRE-5, REC-3)', () => {
  it('PRE-4: a second claim of a request id on another node names the first holder, every time', async () => {
    const wrong: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const id = `RAW${randomUUID().slice(0, 8)}`;
      expect(await registry(writer).claimRequestId(id, 'first')).toBe('first');
      const holder = await registry(reader).claimRequestId(id, 'second');
      if (holder !== 'first') wrong.push(`${id}: ${holder}`);
    }
    expect(wrong).toEqual([]);
  });

  it('PRE-5, REC-3: an account registered through one node is read at once through another, every time', async () => {
    const missing: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const id = `raw-${randomUUID().slice(0, 12)}`;
      await registry(writer).putAccount(account(id), 0);
      if ((await registry(reader).getAccount(id))?.value.accountId !== id) missing.push(id);
    }
    expect(missing).toEqual([]);
  });

  it('no bucket lets a replica answer a read; one made with direct gets is switched at start-up, its data kept', async () => {
    const jsm = await jetstreamManager(readerNc);
    const withDirect = async () => {
      const on: string[] = [];
      for (const b of Object.values(BUCKETS)) if ((await jsm.streams.info(`KV_${b}`)).config.allow_direct) on.push(b);
      return on;
    };
    expect(await withDirect()).toEqual([]);

    // As an earlier release left it: direct gets on a replicated bucket.
    const id = `RAW${randomUUID().slice(0, 8)}`;
    await registry(writer).claimRequestId(id, 'kept');
    const stream = `KV_${BUCKETS.requestIds}`;
    await jsm.streams.update(stream, { ...(await jsm.streams.info(stream)).config, allow_direct: true });
    expect(await withDirect()).toEqual([BUCKETS.requestIds]);

    const restarted = await ensureNatsResources(readerNc, 3);
    expect(await withDirect()).toEqual([]);
    expect((await restarted.requestIds.get(id))?.string()).toBe('kept');
  });
});
