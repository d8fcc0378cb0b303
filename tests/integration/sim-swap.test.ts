/**
 * SIG-1 end to end against real Temporal, NATS, SMTP and the local operator (CAMARA SIM Swap over
 * HTTP): a swapped old SIM holds the change for support and the citizen is told on e-mail and push
 * only; an operator that is down or silent gets the worker's rule, never a hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { CamaraClient } from '../../activities/adapters/camara/camara-client';
import type { OperatorSignals } from '../../activities/ports';
import { STREAMS, SUBJECTS } from '../../activities/adapters/nats/resources';
import { readSubject } from '../../activities/adapters/nats/publishers';
import { startOperatorServer, type OperatorServer } from '../../temporal-config/operator-server';
import { eventually, startHarness, type Harness } from '../support/harness';

let h: Harness;
let op: OperatorServer;
const creds = { clientId: 'portal', clientSecret: 'operator-secret-for-tests' };
/** Mutable, so one worker serves both rules: the activity reads the rule when it runs. */
let signals: OperatorSignals;

beforeAll(async () => {
  op = await startOperatorServer(creds);
  signals = {
    api: new CamaraClient({ baseUrl: op.url, ...creds, timeoutMs: 500, attempts: 2, backoffMs: 50 }),
    simSwapMaxAgeHours: 72,
    whenDown: 'hold',
    sweep: { batchSize: 50, pauseMs: 0, batchesPerRun: 2 },
  };
  h = await startHarness({ wrapDeps: (d) => ({ ...d, operatorSignals: signals }) });
});
afterAll(async () => {
  await h?.close();
  await op?.close();
});

/** Push notices of one account and kind, read from the outbox stream. */
async function pushes(accountId: string, kind: string): Promise<number> {
  const all = await readSubject<{ accountId: string; kind: string }>(jetstream(h.services.nc), STREAMS.outbox.name, SUBJECTS.push);
  return all.filter((m) => m.data.accountId === accountId && m.data.kind === kind).length;
}

async function oldCodeAccepted(account: { accountId: string; phone: string }) {
  const newPhone = h.freshPhone();
  await h.client.start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
  const code = await h.codeSentTo(account.phone);
  return { newPhone, verdict: await h.client.submitCode(account.accountId, 'old', code) };
}

describe('SIM swap of the old number (SIG-1)', () => {
  it('SIG-1: a SIM swap within 72 h voids the old-number code: held for support (sim_swap), told by e-mail and push, not on the swapped SIM; history and event record it', async () => {
    signals.whenDown = 'hold';
    const account = await h.newAccount();
    op.declareSimSwap(account.phone, new Date(Date.now() - 20 * 3_600_000));
    const { verdict } = await oldCodeAccepted(account);
    expect(verdict).toMatchObject({ outcome: 'accepted', state: 'awaiting_support' });
    expect((await h.client.status(account.accountId)).support?.reason).toBe('sim_swap');
    const [mail] = await h.smtp.waitFor((m) => m.to.includes(account.email!) && m.subject === 'Смена номера остановлена: SIM-карта недавно заменена');
    expect(mail!.text).toContain('SIM-карта вашего старого номера недавно заменена');
    expect(await eventually(async () => (await pushes(account.accountId, 'sim_swap')) || undefined, 'the push notice')).toBe(1);
    await h.smsSettled();
    expect(h.smsTo(account.phone).map((m) => m.kind)).not.toContain('sim_swap');
    const kinds = (await h.client.history(account.accountId)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['sim_swap_detected', 'sim_swap']));
    await eventually(() => h.events.items.some((e) => e.accountId === account.accountId && e.type === 'sim_swap_detected'), 'the sim_swap_detected event');
    await h.client.cancel(account.accountId);
  });

  it('SIG-1: a SIM swap older than the window does not hold the change', async () => {
    const account = await h.newAccount();
    op.declareSimSwap(account.phone, new Date(Date.now() - 100 * 3_600_000));
    const { verdict, newPhone } = await oldCodeAccepted(account);
    expect(verdict).toMatchObject({ outcome: 'accepted', state: 'awaiting_new_number' });
    await h.client.submitCode(account.accountId, 'new', await h.codeSentTo(newPhone));
    expect((await h.client.result(account.accountId)).state).toBe('completed');
  });

  it('SIG-1: operator API down, rule "hold": held for support (sim_swap_unverified) without a hang; the history says why', async () => {
    signals.whenDown = 'hold';
    op.setMode({ kind: 'down' });
    try {
      const account = await h.newAccount();
      const { verdict } = await oldCodeAccepted(account);
      expect(verdict).toMatchObject({ outcome: 'accepted', state: 'awaiting_support' });
      expect((await h.client.status(account.accountId)).support?.reason).toBe('sim_swap_unverified');
      const unchecked = (await h.client.history(account.accountId)).find((e) => e.kind === 'sim_swap_unchecked');
      expect(unchecked?.details).toMatchObject({ rule: 'hold', reason: 'unavailable' });
      await h.smtp.waitFor((m) => m.to.includes(account.email!) && m.subject === 'Смена номера ждёт проверки поддержкой');
      await h.client.cancel(account.accountId);
    } finally {
      op.setMode({ kind: 'up' });
    }
  });

  it('SIG-1: operator API silent (answers after a minute), rule "proceed_and_flag": the change goes on, flagged in history and by an event', async () => {
    signals.whenDown = 'proceed_and_flag';
    op.setMode({ kind: 'slow', delayMs: 60_000 });
    try {
      const account = await h.newAccount();
      const { verdict, newPhone } = await oldCodeAccepted(account);
      expect(verdict).toMatchObject({ outcome: 'accepted', state: 'awaiting_new_number' });
      await h.client.submitCode(account.accountId, 'new', await h.codeSentTo(newPhone));
      expect((await h.client.result(account.accountId)).state).toBe('completed');
      const unchecked = (await h.client.history(account.accountId)).find((e) => e.kind === 'sim_swap_unchecked');
      expect(unchecked?.details).toMatchObject({ rule: 'proceed_and_flag', reason: 'unavailable' });
      await eventually(() => h.events.items.some((e) => e.accountId === account.accountId && e.type === 'sim_swap_unchecked'), 'the flag event');
    } finally {
      op.setMode({ kind: 'up' });
      signals.whenDown = 'hold';
    }
  });
});
