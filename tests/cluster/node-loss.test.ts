/**
 * Issue 13: changes in flight survive the loss of a Temporal node and of the NATS node leading the
 * outbox. Runs on the cluster stack only (npm run test:cluster).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventually, startHarness, type Harness } from '../support/harness';
import { STREAMS } from '../../activities/adapters/nats/resources';
import type { Account } from '../../activities/ports';

const CHANGES = 20;
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

async function control(action: 'kill' | 'start', node: string): Promise<void> {
  const res = await fetch(`${inject('clusterControl')}/${action}/${node}`, { method: 'POST' });
  if (!res.ok) throw new Error(`${action} ${node}: ${res.status} ${await res.text()}`);
}

/** A call through a node that just died may fail until the SDK reconnects through the proxy: again until it answers. */
const retried = <T>(call: () => Promise<T>, what: string) => eventually(() => call(), what, 60_000);

describe('the cluster loses nodes with changes in flight (issue 13)', () => {
  it('SIGKILL of a Temporal node and of the OUTBOX leader: every change completes, each code is sent once, each number bound once', async () => {
    const changes: { account: Account; newPhone: string }[] = [];
    for (let i = 0; i < CHANGES; i++) changes.push({ account: await h.newAccount(), newPhone: h.freshPhone() });
    await Promise.all(changes.map((c) => h.client.start({ accountId: c.account.accountId, newPhone: c.newPhone, auth: 'two_factor' })));
    const oldCodes = await Promise.all(changes.map((c) => h.codeSentTo(c.account.phone)));

    const leader = (await (await jetstreamManager(h.services.nc)).streams.info(STREAMS.outbox.name)).cluster?.leader;
    expect(leader).toMatch(/^nats-\d$/);
    const killedAt = Date.now();
    const since = () => `${((Date.now() - killedAt) / 1000).toFixed(1)} s`;
    await control('kill', 'temporal-1');
    await control('kill', leader!);

    // The old codes go in while both nodes are down; the new codes are sent meanwhile.
    await Promise.all(changes.map((c, i) => retried(() => h.client.submitCode(c.account.accountId, 'old', oldCodes[i]!), 'the old code accepted')));
    console.log(`[node-loss] ${CHANGES} old codes accepted ${since()} after the kills`);
    const newCodes = await Promise.all(changes.map((c) => eventually(() => h.codeSentTo(c.newPhone), 'the new code', 60_000)));
    console.log(`[node-loss] ${CHANGES} new codes sent ${since()} after the kills; restarting the nodes`);
    await control('start', 'temporal-1');
    await control('start', leader!);
    await Promise.all(changes.map((c, i) => retried(() => h.client.submitCode(c.account.accountId, 'new', newCodes[i]!), 'the new code accepted')));

    for (const c of changes) {
      const result = await retried(() => h.client.result(c.account.accountId), 'the result');
      expect(result.state).toBe('completed');
      expect(await h.services.deps.registry.ownerOf(c.newPhone)).toBe(c.account.accountId);
    }
    console.log(`[node-loss] ${CHANGES} changes completed ${since()} after the kills`);
    await h.smsSettled();
    for (const c of changes) {
      expect(h.smsTo(c.account.phone).filter((m) => m.kind === 'code_old')).toHaveLength(1);
      expect(h.smsTo(c.newPhone).filter((m) => m.kind === 'code_new')).toHaveLength(1);
      const completed = await eventually(() => {
        const e = h.events.items.filter((x) => x.accountId === c.account.accountId && x.type === 'completed');
        return e.length > 0 && e;
      }, 'the completed event');
      expect(completed).toHaveLength(1);
    }
  });
});
