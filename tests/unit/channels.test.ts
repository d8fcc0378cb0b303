/** Channels as one registration each (templates per channel) and the fallback as a channel rule (CH-1, CH-2), over the fakes. */
import { describe, expect, it } from 'vitest';
import { createChannels, fallbackRules } from '../../activities/channels';
import { handleDeliveryReport, type FallbackDeps } from '../../activities/delivery-fallback';
import type { SmsMessage } from '../../activities/ports';
import { channelNames } from '../../workflows/domain/channels';
import { noticeKinds } from '../../activities/templates';
import { fakePorts } from '../support/fakes';
import { seedAccount } from '../support/activity-env';

const params = { requestId: 'K7M2QX9PHA', when: '25.11.2026, 01:17 МСК', journalUrl: 'https://portal.test/journal/K7M2QX9PHA', newPhoneMasked: '+7 *** ***-**-02' };

describe('channels (fakes)', () => {
  it('CH-2: every registered channel renders every notice kind in both languages through its own port', async () => {
    const ports = fakePorts();
    const channels = createChannels(ports);
    expect(Object.keys(channels)).toEqual([...channelNames]);
    let n = 0;
    for (const language of ['ru', 'en'] as const)
      for (const kind of noticeKinds) for (const name of channelNames) await channels[name].send('+79160000001', { accountId: 'acct-1', requestId: 'K7M2QX9PHA', kind, language, params }, `id-${n++}`);
    const texts = [...ports.sms.sent.map((m) => m.text), ...ports.mailer.sent.flatMap((m) => [m.subject, m.text, m.html]), ...ports.push.sent.flatMap((m) => [m.title, m.body])];
    const each = noticeKinds.length * 2; // every kind in both languages (SIG-1 added sim_swap, sim_swap_unverified)
    expect([ports.sms.sent.length, ports.mailer.sent.length, ports.push.sent.length]).toEqual([each, each, each]);
    expect(texts.filter((t) => !t || t.includes('undefined'))).toEqual([]);
  });

  it('CH-1: the fallback rule is a table: an undelivered SMS goes by push, then e-mail; nothing falls back from those', () => {
    expect(fallbackRules).toEqual({ sms: ['push', 'email'], email: [], push: [] });
  });
});

describe('delivery fallback (fakes)', () => {
  async function setup(email: string | undefined, language: 'ru' | 'en' = 'ru') {
    const ports = fakePorts();
    await seedAccount(ports, { email, language });
    const stored = new Map<string, SmsMessage & { id: string }>();
    const sms = (id: string, kind: string): SmsMessage & { id: string } => {
      const m = { id, to: '+79160000001', text: `Госуслуги: ${kind}, заявка K7M2QX9PHA.`, accountId: 'acct-1', requestId: 'K7M2QX9PHA', kind };
      stored.set(id, m);
      return m;
    };
    const deps: FallbackDeps = { ...ports, findSentSms: async (id) => stored.get(id) };
    return { ports, deps, sms };
  }

  it('CH-1: an undeliverable notice is relayed along the rule once, with ids from the SMS id, and recorded', async () => {
    const { ports, deps, sms } = await setup('anna@example.test');
    const m = sms('wf/run/completed/sms/0', 'completed');
    expect(await handleDeliveryReport({ id: m.id, status: 'undeliverable' }, deps)).toBe('fallback_sent');
    expect(await handleDeliveryReport({ id: m.id, status: 'undeliverable' }, deps)).toBe('fallback_sent'); // redelivered report
    expect(ports.push.sent).toEqual([{ accountId: 'acct-1', requestId: 'K7M2QX9PHA', kind: 'completed', title: 'Госуслуги', body: m.text, id: `${m.id}/fallback/push` }]);
    expect(ports.mailer.sent).toEqual([{ to: 'anna@example.test', kind: 'sms_fallback', subject: m.text.slice(0, 60), text: m.text, html: `<p>${m.text}</p>`, id: `${m.id}/fallback/email` }]);
    expect((await ports.history.list('acct-1')).map(({ kind, channels, text }) => ({ kind, channels, text }))).toEqual([
      { kind: 'sms_undeliverable', channels: ['push', 'email'], text: 'SMS "completed" undeliverable; sent by push and email instead' },
    ]);
  });

  it('CH-1, CH-2: without an e-mail address it goes by push alone, titled in the account’s language', async () => {
    const { ports, deps, sms } = await setup(undefined, 'en');
    await handleDeliveryReport({ id: sms('wf/run/rejected/sms/0', 'rejected').id, status: 'undeliverable' }, deps);
    expect(ports.push.sent.map((m) => m.title)).toEqual(['Gosuslugi']);
    expect(ports.mailer.sent).toEqual([]);
    expect((await ports.history.list('acct-1'))[0]?.channels).toEqual(['push']);
  });

  it('CH-1, REC-2 (attack: a forged "undeliverable" report): no SMS but a notice falls back; a temporary password, a code, a link or a test code stays SMS-only', async () => {
    const { ports, deps, sms } = await setup('attacker@example.test');
    const secretKinds = ['temporary_password', 'code_old', 'code_new', 'identity_link', 'test_code', 'reset_code', 'anything_new'];
    for (const kind of secretKinds) {
      expect(await handleDeliveryReport({ id: sms(`support-recovery/acct-1/run/${kind}-1`, kind).id, status: 'undeliverable' }, deps), kind).toBe('skipped_code');
    }
    expect([ports.push.sent.length, ports.mailer.sent.length, (await ports.history.list('acct-1')).length]).toEqual([0, 0, 0]);
  });

  it('CH-1: a code or a link never falls back; a delivered or unknown SMS sends nothing', async () => {
    const { ports, deps, sms } = await setup('anna@example.test');
    expect(await handleDeliveryReport({ id: sms('wf/run/code-old-1', 'code_old').id, status: 'undeliverable' }, deps)).toBe('skipped_code');
    expect(await handleDeliveryReport({ id: sms('wf/run/identity-link-1', 'identity_link').id, status: 'undeliverable' }, deps)).toBe('skipped_code');
    expect(await handleDeliveryReport({ id: sms('wf/run/completed/sms/0', 'completed').id, status: 'delivered' }, deps)).toBe('delivered');
    expect(await handleDeliveryReport({ id: 'never-sent', status: 'undeliverable' }, deps)).toBe('unknown_sms');
    expect([ports.push.sent.length, ports.mailer.sent.length, (await ports.history.list('acct-1')).length]).toEqual([0, 0, 0]);
  });
});
