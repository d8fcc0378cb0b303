/**
 * PRE-4, PRE-5, REC-3 on a 3-node NATS cluster: a read that follows a write sees it, whichever
 * node the reader is connected to. Runs on the cluster stack only (npm run test:cluster).
 *
 * Why: a KV bucket read with direct gets (the `@nats-io/kv` default) lets every replica answer a
 * read, and a replica that has not yet applied the write answers with what it had. A second start
 * under the same request id could then read "nobody holds it", and a change started right after
 * its account's registration could read "no such account" (6 of 200 reads here missed before the
 * fix). Reads are made through the bucket's followers: a direct get is answered by the replica on
 * the reader's own server when there is one, so that is where a stale answer would come from.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { BUCKETS, ensureNatsResources, type NatsResources } from '../../activities/adapters/nats/resources';
import { NatsContactRegistry } from '../../activities/adapters/nats/registry';
import type { Account } from '../../activities/ports';

const ROUNDS = 200;

interface Node {
  nc: NatsConnection;
  resources: NatsResources;
}
let nodes: Node[];
let jsm: JetStreamManager;

beforeAll(async () => {
  nodes = [];
  for (const url of inject('natsUrl').split(',')) {
    const nc = await connect({ servers: url });
    nodes.push({ nc, resources: await ensureNatsResources(nc, 3) });
  }
  jsm = await jetstreamManager(nodes[0]!.nc, { timeout: inject('natsApiTimeoutMs') });
});
afterAll(async () => {
  for (const n of nodes ?? []) await n.nc.close();
});

const registry = (n: Node) => new NatsContactRegistry(n.resources.accounts, n.resources.phoneIndex, n.resources.requestIds);
const account = (accountId: string): Account => ({ accountId, phone: '+79990000000', phoneConfirmed: true, verified: true, language: 'ru' });
const registerAccount = async (n: Node, id: string) => void (await registry(n).putAccount(account(id), 0));
const seesAccount = async (n: Node, id: string) => (await registry(n).getAccount(id))?.value.accountId === id;

/** The writer (the bucket's leader's node) and the readers (every other node), for a bucket. */
async function roles(bucket: string, among: Node[]): Promise<{ writer: Node; readers: Node[] }> {
  const leader = (await jsm.streams.info(`KV_${bucket}`)).cluster?.leader;
  const writer = among.find((n) => n.nc.info?.server_name === leader);
  const readers = among.filter((n) => n !== writer);
  expect(writer, `the leader of KV_${bucket} (${leader}) among the nodes`).toBeDefined();
  expect(readers).toHaveLength(2);
  return { writer: writer!, readers };
}

/** Writes through the leader's node, reads at once through a follower's (alternating); the misses. */
async function missedReads(bucket: string, write: (n: Node, id: string) => Promise<void>, seen: (n: Node, id: string) => Promise<boolean>, among = nodes): Promise<string[]> {
  const { writer, readers } = await roles(bucket, among);
  const missed: string[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const id = `raw${randomUUID().slice(0, 12)}`;
    await write(writer, id);
    if (!(await seen(readers[i % 2]!, id))) missed.push(id);
  }
  return missed;
}

describe('read after write on the cluster (PRE-4, PRE-5, REC-3)', () => {
  it('PRE-4: a second claim of a request id through a follower names the first holder, every time', async () => {
    const missed = await missedReads(
      BUCKETS.requestIds,
      async (n, id) => void expect(await registry(n).claimRequestId(id, 'first')).toBe('first'),
      async (n, id) => (await registry(n).claimRequestId(id, 'second')) === 'first',
    );
    expect(missed).toEqual([]);
  });

  it('PRE-4, attack: two starts claim one request id at the same moment through two followers; one holds it and both are told the same holder, every time', async () => {
    const { readers } = await roles(BUCKETS.requestIds, nodes);
    const split: string[] = [];
    for (let i = 0; i < ROUNDS / 4; i++) {
      const id = `RAC${randomUUID().slice(0, 8)}`;
      const [a, b] = await Promise.all([registry(readers[0]!).claimRequestId(id, 'change-a'), registry(readers[1]!).claimRequestId(id, 'change-b')]);
      if (a !== b || (a !== 'change-a' && a !== 'change-b')) split.push(`${id}: ${a} / ${b}`);
    }
    expect(split).toEqual([]);
  });

  it('PRE-5, REC-3: an account registered is read at once through a follower, every time', async () => {
    const missed = await missedReads(BUCKETS.accounts, registerAccount, seesAccount);
    expect(missed).toEqual([]);
  });

  it('replicated buckets are made without direct gets; one an earlier release made with them keeps them for its workers, and this release still reads from the leader', async () => {
    for (const b of Object.values(BUCKETS)) expect((await jsm.streams.info(`KV_${b}`)).config.allow_direct, b).toBe(false);

    // As an earlier release left it: direct gets on a replicated bucket, its replicas answering them.
    const stream = `KV_${BUCKETS.accounts}`;
    await jsm.streams.update(stream, { allow_direct: true });
    try {
      const restarted: Node[] = [];
      for (const n of nodes) restarted.push({ nc: n.nc, resources: await ensureNatsResources(n.nc, 3) });
      expect((await jsm.streams.info(stream)).config.allow_direct).toBe(true);
      const missed = await missedReads(BUCKETS.accounts, registerAccount, seesAccount, restarted);
      expect(missed).toEqual([]);
    } finally {
      await jsm.streams.update(stream, { allow_direct: false });
    }
  });
});
