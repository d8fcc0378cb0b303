/**
 * Issue 13: changes in flight survive the loss of a Temporal node and of the NATS node leading the
 * outbox. Runs on the cluster stack only (npm run test:cluster).
 *
 * No fixed deadlines: the test first measures how long this machine, as loaded as it is now, takes
 * to take all the changes through one step, and gives each step after the kills that time (three
 * times over) plus the time the cluster needs to notice a dead node and move its work
 * (RECOVERY_MS). Every call that may die with a node is repeated under the same update id, so a
 * repeat joins the first attempt instead of arriving as a second message the change refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { jetstreamManager } from '@nats-io/jetstream';
import { startHarness, type Harness } from '../support/harness';
import { STREAMS } from '../../activities/adapters/nats/resources';
import { submitCodeUpdate, type CodeVerdict, type Step } from '../../workflows/phone-change.defs';
import type { Account } from '../../activities/ports';

const CHANGES = 50;
/**
 * What the cluster needs after a SIGKILL before it serves the killed node's work again, on top of
 * the work itself: Temporal's membership noticing the node gone and its shards and task queues
 * moving (seconds to tens of seconds), a new outbox leader (about 5 s), and the activities that
 * failed meanwhile coming back through their retry back-off (up to 32 s between attempts by then).
 */
const RECOVERY_MS = 90_000;
/** The step's own work after the kills, in multiples of the same step measured before them. */
const LOAD_FACTOR = 3;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

async function control(action: 'kill' | 'start', node: string): Promise<void> {
  const res = await fetch(`${inject('clusterControl')}/${action}/${node}`, { method: 'POST' });
  if (!res.ok) throw new Error(`${action} ${node}: ${res.status} ${await res.text()}`);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Polls until `probe` gives a value or `deadline` (epoch ms) passes; errors count as "not yet". */
async function until<T>(deadline: number, what: string | (() => string), probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      // A business answer is final: only a call cut by a dying node is repeated.
      if (err instanceof WorkflowUpdateFailedError) throw err;
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`deadline passed waiting for ${typeof what === 'string' ? what : what()}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The code in the one SMS of `kind` to `to`, once it is in the outbox. */
function codeIn(to: string, kind: 'code_old' | 'code_new'): string | undefined {
  const m = h.smsTo(to).find((x) => x.kind === kind);
  return m ? /\b(\d{6})\b/.exec(m.text)?.[1] : undefined;
}

/** submitCode under a fixed update id: repeated after a lost node, it gets the first attempt's verdict. */
const submit = (c: Change, step: Step, code: string): Promise<CodeVerdict> =>
  h.client.handle(c.account.accountId).executeUpdate(submitCodeUpdate, { args: [{ step, code }], updateId: `node-loss-${c.account.accountId}-${step}` });

interface Change {
  account: Account;
  newPhone: string;
}

describe('the cluster loses nodes with changes in flight (issue 13)', () => {
  it(
    `SIGKILL of a Temporal node and of the OUTBOX leader with ${CHANGES} changes in flight: every change completes, each code is sent once, each number bound once`,
    { timeout: 1_200_000 },
    async () => {
      const changes: Change[] = [];
      for (let i = 0; i < CHANGES; i++) changes.push({ account: await h.newAccount(), newPhone: h.freshPhone() });

      // Measured: all changes through their first step (start, validation, the old-number code sent), nothing killed.
      const t0 = Date.now();
      await Promise.all(changes.map((c) => h.client.start({ accountId: c.account.accountId, newPhone: c.newPhone, auth: 'two_factor' })));
      const warmDeadline = t0 + RECOVERY_MS + 10 * 60_000; // nothing is killed yet: only a broken cluster takes this long
      const oldCodes = await Promise.all(changes.map((c) => until(warmDeadline, 'the old code', () => codeIn(c.account.phone, 'code_old'))));
      const stepMs = Date.now() - t0;
      const budget = RECOVERY_MS + LOAD_FACTOR * stepMs;
      console.log(`[node-loss] ${CHANGES} changes started and their old codes sent in ${seconds(stepMs)}; each step after the kills gets ${seconds(budget)}`);

      const leader = (await (await jetstreamManager(h.services.nc)).streams.info(STREAMS.outbox.name)).cluster?.leader;
      expect(leader).toMatch(/^nats-\d$/);
      const killedAt = Date.now();
      const since = () => seconds(Date.now() - killedAt);
      const down = new Set(['temporal-1', leader!]);
      const restart = async () => {
        for (const node of down) await control('start', node);
        down.clear();
      };
      let newCodes: string[];
      try {
        await control('kill', 'temporal-1');
        await control('kill', leader!);
        // The old codes go in while both nodes are down; the new codes are sent meanwhile.
        const deadline = Date.now() + budget;
        const verdicts = await Promise.all(changes.map((c, i) => until(deadline, 'the old code accepted', () => submit(c, 'old', oldCodes[i]!))));
        expect(verdicts.map((v) => v.outcome)).toEqual(changes.map(() => 'accepted'));
        console.log(`[node-loss] ${CHANGES} old codes accepted ${since()} after the kills of temporal-1 and ${leader}`);
        const seen = () => `${changes.filter((x) => codeIn(x.newPhone, 'code_new')).length} of ${CHANGES} seen`;
        newCodes = await Promise.all(
          changes.map((c) =>
            until(
              deadline,
              () => `the new code (${seen()})`,
              () => codeIn(c.newPhone, 'code_new'),
            ),
          ),
        );
        console.log(`[node-loss] ${CHANGES} new codes sent ${since()} after the kills; restarting the nodes`);
        const restartAt = Date.now();
        await restart();
        console.log(`[node-loss] temporal-1 and ${leader} serving again ${seconds(Date.now() - restartAt)} after their restart`);
      } finally {
        // The files after this one need the whole cluster.
        await restart();
      }

      const deadline = Date.now() + budget;
      const finals = await Promise.all(changes.map((c, i) => until(deadline, 'the new code accepted', () => submit(c, 'new', newCodes[i]!))));
      expect(finals.map((v) => v.state)).toEqual(changes.map(() => 'completed'));
      for (const c of changes) {
        const result = await until(deadline, 'the result', () => h.client.result(c.account.accountId));
        expect(result.state).toBe('completed');
        expect(await h.services.deps.registry.ownerOf(c.newPhone)).toBe(c.account.accountId);
      }
      console.log(`[node-loss] ${CHANGES} changes completed ${since()} after the kills`);

      await h.smsSettled();
      const completedEvents = (c: Change) => h.events.items.filter((x) => x.accountId === c.account.accountId && x.type === 'completed');
      await until(Date.now() + budget, 'the completed events', () => (changes.every((c) => completedEvents(c).length > 0) ? true : undefined));
      for (const c of changes) {
        expect(h.smsTo(c.account.phone).filter((m) => m.kind === 'code_old')).toHaveLength(1);
        expect(h.smsTo(c.newPhone).filter((m) => m.kind === 'code_new')).toHaveLength(1);
        expect(completedEvents(c)).toHaveLength(1);
      }
    },
  );
});
