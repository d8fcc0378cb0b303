import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { eventually, operatorToken, startHarness, LINKED_SERVICES, type Harness, refusal } from '../support/harness';
import { ConcurrentModificationError, NumberTakenError, RevertWindowClosedError } from '../../workflows/domain/errors';
import { STREAMS, SUBJECTS } from '../../activities/adapters/nats/resources';
import type { LinkedServiceMessage, PushMessage } from '../../activities/ports';
import { readSubject } from '../../activities/adapters/nats/publishers';
import { linkedSyncWorkflowId } from '../../workflows/after-change.defs';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ deliveryReports: true });
});
afterAll(async () => h?.close());

/** SEC-6: a revert credential minted for this one change. */
const revertCredential = (accountId: string, requestId: string) => operatorToken({ account: accountId, requestId, action: 'support:revert', sub: 'op-9', name: 'Кузнецов' });

/**
 * Plays linked services: every service but `silent` acknowledges what it is told for `requestId`,
 * each at once, or (`together`) all five together once the first announcement reached them all.
 */
function linkedServicesAcking(requestId: string, silent: string[] = [], together = false) {
  const told: LinkedServiceMessage[] = [];
  const js = jetstream(h.services.nc);
  const ack = (service: string, m: LinkedServiceMessage) => js.publish(SUBJECTS.linkedAck(service), JSON.stringify({ accountId: m.accountId, requestId: m.requestId }));
  const sub = h.services.nc.subscribe('linked.*.phone_changed', {
    callback: (_err, msg) => {
      const m = msg.json<LinkedServiceMessage>();
      if (m.requestId !== requestId) return;
      told.push(m);
      const service = msg.subject.split('.')[1]!;
      if (!together && !silent.includes(service)) void ack(service, m);
      if (together && told.length === LINKED_SERVICES.length) void Promise.all(LINKED_SERVICES.map((s) => ack(s, m)));
    },
  });
  return { told, stop: () => sub.unsubscribe() };
}

describe('after the change (DONE-3, DONE-4, AFTER-1..3, CH-1)', () => {
  it('AFTER-1: every linked service is told and acknowledges; status shows none pending; the sync is recorded; the five acks published together arrive as fewer signals (issue 12)', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    const ref = await (await h.clientWith({ identityCheck: false })).start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
    const services = linkedServicesAcking(ref.requestId, [], true);
    try {
      await h.client.submitCode(account.accountId, 'old', await h.codeSentTo(account.phone));
      await h.client.submitCode(account.accountId, 'new', await h.codeSentTo(newPhone));
      const synced = await eventually(async () => {
        const st = await h.client.linkedStatus(account.accountId).catch(() => undefined);
        return st?.state === 'synced' && st;
      }, 'all linked services synced');
      expect(synced.pending).toEqual([]);
      expect((await h.client.status(account.accountId)).linkedServices?.state).toBe('synced');
      expect(synced.services.map((s) => s.name).sort()).toEqual([...LINKED_SERVICES].sort());
      expect(services.told.every((m) => m.newPhone === newPhone)).toBe(true);
      await eventually(async () => (await h.client.history(account.accountId)).some((e) => e.kind === 'linked_synced'), 'linked_synced entry');
      // The bridge sends the acks of one sync within LINKED_ACK_BATCH_MS as one signal (however many test files' bridges share them, fewer than five).
      const events = (await h.temporal.workflow.getHandle(linkedSyncWorkflowId(account.accountId, ref.requestId)).fetchHistory()).events ?? [];
      const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'linkedAck').length;
      expect(signals).toBeGreaterThanOrEqual(1);
      expect(signals).toBeLessThan(LINKED_SERVICES.length);
      expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    } finally {
      services.stop();
    }
  });

  it('AFTER-1: a service that never acknowledges is reminded, then recorded as not synced', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    const ref = await (await h.clientWith({ identityCheck: false, linkedSyncWaitMs: 2500, linkedRemindEveryMs: 800 })).start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
    const services = linkedServicesAcking(ref.requestId, ['bank_cards']);
    try {
      await h.client.submitCode(account.accountId, 'old', await h.codeSentTo(account.phone));
      await h.client.submitCode(account.accountId, 'new', await h.codeSentTo(newPhone));
      const pending = await eventually(async () => {
        const st = await h.client.linkedStatus(account.accountId).catch(() => undefined);
        return st && st.pending.length === 1 && st.state === 'syncing' && st;
      }, 'only bank_cards pending');
      expect(pending.pending).toEqual(['bank_cards']);
      const final = await eventually(
        async () => {
          const st = await h.client.linkedStatus(account.accountId);
          return st.state === 'not_synced' && st;
        },
        'sync wait over',
        10_000,
      );
      expect(final.reminders).toBeGreaterThanOrEqual(1);
      await eventually(() => services.told.filter((m) => m.attempt > 0).length === final.reminders, 'every reminder seen');
      expect(services.told.filter((m) => m.attempt > 0).every((m) => m.attempt <= final.reminders)).toBe(true);
      const entry = await eventually(async () => (await h.client.history(account.accountId)).find((e) => e.kind === 'linked_not_synced'), 'not-synced entry');
      expect(entry.details).toMatchObject({ pending: 'bank_cards' });
    } finally {
      services.stop();
    }
  });

  it('DONE-4: support restores the previous number inside the window: registry, index, notices, event, history', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    const ref = await h.completeChange(account, newPhone);
    expect((await h.client.revert(account.accountId, ref.requestId, await revertCredential(account.accountId, ref.requestId), 'fraud: SIM swap')).state).toBe('reverted');
    const stored = await h.services.deps.registry.getAccount(account.accountId);
    expect(stored?.value.phone).toBe(account.phone);
    expect(await h.services.deps.registry.ownerOf(account.phone)).toBe(account.accountId);
    expect(await h.services.deps.registry.ownerOf(newPhone)).toBeUndefined();
    await eventually(() => h.smsTo(account.phone).some((m) => m.kind === 'reverted') && h.smsTo(newPhone).some((m) => m.kind === 'reverted'), 'revert SMS to both numbers');
    await h.smtp.waitFor((m) => m.to.includes(account.email!) && m.subject === 'Прежний номер телефона восстановлен');
    await eventually(() => h.events.items.some((e) => e.accountId === account.accountId && e.type === 'reverted'), 'reverted event');
    const entry = await eventually(async () => (await h.client.history(account.accountId)).find((e) => e.kind === 'reverted'), 'reverted entry');
    expect(entry).toMatchObject({ actor: 'op-9 (Кузнецов)', details: { reason: 'fraud: SIM swap' } });
    // Repeating the revert (with a fresh credential: SEC-6) is the same revert, not a second one.
    expect((await h.client.revert(account.accountId, ref.requestId, await revertCredential(account.accountId, ref.requestId), 'fraud: SIM swap')).state).toBe('reverted');
  });

  it('DONE-4: a revert after the window is refused with a clear reason', async () => {
    const account = await h.newAccount();
    const ref = await h.completeChange(account, h.freshPhone());
    const found = await h.services.deps.registry.getAccount(account.accountId);
    await h.services.deps.registry.putAccount({ ...found!.value, lastPhoneChangeAt: new Date(Date.now() - 31 * 86_400_000).toISOString() }, found!.revision);
    const err = await refusal(h.client.revert(account.accountId, ref.requestId, await revertCredential(account.accountId, ref.requestId), 'late report'));
    expect(err).toBeInstanceOf(RevertWindowClosedError);
    expect((err as Error).message).toMatch(/30 days/);
  });

  it('DONE-4: a revert is refused when the old number is now bound elsewhere, or the account changed again', async () => {
    const account = await h.newAccount();
    const ref = await h.completeChange(account, h.freshPhone());
    await h.newAccount({ phone: account.phone }); // the released old number went to someone else
    expect(await refusal(h.client.revert(account.accountId, ref.requestId, await revertCredential(account.accountId, ref.requestId), 'fraud'))).toBeInstanceOf(NumberTakenError);

    const other = await h.newAccount();
    const first = await h.completeChange(other, h.freshPhone());
    const again = { ...other, phone: (await h.services.deps.registry.getAccount(other.accountId))!.value.phone };
    await h.completeChange(again, h.freshPhone(), await h.clientWith({ frequentChangeWindowMs: 1 }));
    expect(await refusal(h.client.revert(other.accountId, first.requestId, await revertCredential(other.accountId, first.requestId), 'fraud'))).toBeInstanceOf(ConcurrentModificationError);
  });

  it('AFTER-2: a test code to the current number, confirmed; and one left unconfirmed', async () => {
    const account = await h.newAccount();
    await h.client.startTestDelivery(account.accountId);
    const code = await eventually(() => h.smsTo(account.phone).find((m) => m.kind === 'code_test'), 'test code SMS');
    expect((await h.client.confirmTestDelivery(account.accountId, /\d{6}/.exec(code.text)![0])).confirmed).toBe(true);
    expect(await h.client.testDeliveryResult(account.accountId)).toMatchObject({ confirmed: true, phoneMasked: expect.stringMatching(/^\+7 \*\*\*/) });

    const quiet = await h.newAccount();
    await (await h.clientWith({ testDeliveryTtlMs: 800 })).startTestDelivery(quiet.accountId);
    expect((await h.client.testDeliveryResult(quiet.accountId)).confirmed).toBe(false);
    const kinds = (await h.client.history(quiet.accountId)).map((e) => e.kind);
    expect(kinds).toContain('test_delivery_unconfirmed');
  });

  it('AFTER-3: the request id is in the notices and support finds the change by it', async () => {
    const account = await h.newAccount();
    const ref = await h.completeChange(account, h.freshPhone());
    expect((await eventually(() => h.smsTo(account.phone).find((m) => m.kind === 'requested'), 'request SMS')).text).toContain(ref.requestId);
    const found = await eventually(() => h.client.findByRequestId(ref.requestId), 'visibility');
    expect(found).toMatchObject({ accountId: account.accountId, state: 'completed' });
  });

  it('DONE-3: the history is readable newest first and in pages', async () => {
    const account = await h.newAccount();
    await h.completeChange(account, h.freshPhone());
    const all = await h.client.history(account.accountId);
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => b - a));
    const page1 = await h.client.history(account.accountId, { limit: 2 });
    const page2 = await h.client.history(account.accountId, { limit: 2, beforeSeq: page1[1]!.seq });
    expect([...page1, ...page2].map((e) => e.seq)).toEqual(all.slice(0, 4).map((e) => e.seq));
    for (const e of all) expect(e).toMatchObject({ at: expect.any(String), requestId: expect.any(String), channels: expect.any(Array) });
  });

  it('CH-1: an SMS notice reported undeliverable falls back to push and e-mail; a code never does', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    await h.completeChange(account, newPhone);
    const js = jetstream(h.services.nc);
    const done = await eventually(() => h.smsTo(newPhone).find((m) => m.kind === 'completed'), 'completion SMS');
    const code = await eventually(() => h.smsTo(newPhone).find((m) => m.kind === 'code_new'), 'code SMS');
    await js.publish(SUBJECTS.smsReport, JSON.stringify({ status: 'undeliverable', id: code.id }));
    await js.publish(SUBJECTS.smsReport, JSON.stringify({ status: 'undeliverable', id: done.id }));
    const mail = await h.smtp.waitFor((m) => m.to.includes(account.email!) && m.text.includes(done.text));
    expect(mail).toHaveLength(1);
    const entry = await eventually(async () => (await h.client.history(account.accountId)).find((e) => e.kind === 'sms_undeliverable'), 'fallback entry');
    expect(entry.channels).toEqual(['push', 'email']);
    expect(h.smtp.received.some((m) => /\b\d{6}\b/.test(m.text) && m.text.includes('код'))).toBe(false);
  });

  /** Publishes `forged`, then a genuine report of another account's notice, and waits for that one's fallback: the bridge handles reports in order, so the forged one was handled by then. */
  async function afterForgedReport(forged: unknown): Promise<void> {
    const other = await h.newAccount();
    const newPhone = h.freshPhone();
    await h.completeChange(other, newPhone);
    const done = await eventually(() => h.smsTo(newPhone).find((m) => m.kind === 'completed'), 'completion SMS');
    const js = jetstream(h.services.nc);
    await js.publish(SUBJECTS.smsReport, typeof forged === 'string' ? forged : JSON.stringify(forged));
    await js.publish(SUBJECTS.smsReport, JSON.stringify({ status: 'undeliverable', id: done.id }));
    await h.smtp.waitFor((m) => m.to.includes(other.email!) && m.text.includes(done.text));
  }

  /** No mail and no push carries `text`, and the account's history has no fallback entry. */
  async function noFallback(accountId: string, text: string): Promise<void> {
    expect(h.smtp.received.filter((m) => m.text.includes(text))).toEqual([]);
    const pushes = await readSubject<PushMessage>(jetstream(h.services.nc), STREAMS.outbox.name, SUBJECTS.push);
    expect(pushes.filter(({ data }) => data.body.includes(text))).toEqual([]);
    expect((await h.client.history(accountId)).filter((e) => e.kind === 'sms_undeliverable')).toEqual([]);
  }

  it("issue 10 hole 7: a forged delivery report with attacker text and a real account's id sends no mail, no push and records nothing", async () => {
    const victim = await h.newAccount();
    const text = 'Госуслуги: номер изменён. Если это не вы, позвоните +7 900 000-00-00 (attacker)';
    const message = { to: victim.phone, text, accountId: victim.accountId, requestId: 'ABCDEFGHJK', kind: 'completed' };
    await afterForgedReport({ status: 'undeliverable', id: `phone-change/${victim.accountId}/forged/completed/sms/0`, message: { ...message, id: 'x' } });
    await afterForgedReport({ status: 'undeliverable', message: { ...message, id: `phone-change/${victim.accountId}/forged/completed/sms/0` } });
    await afterForgedReport('{"status":"undeliverable","id":');
    await noFallback(victim.accountId, text);
    expect(h.smtp.received.filter((m) => m.to.includes(victim.email!))).toEqual([]);
  });

  it("issue 10 hole 7: a forged report naming a real code SMS's id, dressed as a notice, sends no fallback", async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    await h.completeChange(account, newPhone);
    const code = await eventually(() => h.smsTo(newPhone).find((m) => m.kind === 'code_new'), 'code SMS');
    await afterForgedReport({ status: 'undeliverable', id: code.id, message: { ...code, kind: 'completed' } });
    await noFallback(account.accountId, code.text);
  });
});
