/** Notices, events and history records (SEC-3, DONE-2, DONE-3, OTP-4, CH-1) in MockActivityEnvironment over the fakes. */
import { describe, expect, it } from 'vitest';
import { deriveToken } from '../../activities/codes';
import type { NoticeRequest } from '../../activities';
import { activityEnv } from '../support/activity-env';

const OLD = '+79160000001';
const notice = (over: Partial<NoticeRequest> = {}): NoticeRequest => ({
  accountId: 'acct-1',
  requestId: 'K7M2QX9PHA',
  kind: 'completed',
  key: 'completed',
  language: 'ru',
  smsTo: [OLD],
  email: 'anna@example.test',
  push: true,
  params: { requestId: 'K7M2QX9PHA', newPhoneMasked: '+7 *** ***-**-02' },
  at: '2026-11-25T01:17:00.000Z',
  ...over,
});

describe('notify (fakes, MockActivityEnvironment)', () => {
  it('DONE-2, DONE-3: one notice on each of its channels under its own id, the event first, then the history entry', async () => {
    const a = activityEnv();
    await a.call('notify', notice({ event: { type: 'completed', data: { channel: 'self_service' } } }));
    expect(a.ports.events.sent).toEqual([{ type: 'completed', accountId: 'acct-1', requestId: 'K7M2QX9PHA', at: '2026-11-25T01:17:00.000Z', channel: 'self_service', id: a.id('event-completed') }]);
    const [sms] = a.ports.sms.sent;
    expect(sms).toMatchObject({ to: OLD, kind: 'completed', id: a.id('completed/sms/0'), text: expect.stringContaining('https://portal.test/journal/K7M2QX9PHA') });
    expect(a.ports.mailer.sent).toEqual([
      { to: 'anna@example.test', kind: 'completed', subject: 'Номер телефона изменён', text: expect.stringContaining('K7M2QX9PHA'), html: expect.stringMatching(/^<p>/), id: a.id('completed/email') },
    ]);
    expect(a.ports.push.sent).toEqual([{ accountId: 'acct-1', requestId: 'K7M2QX9PHA', kind: 'completed', title: 'Номер телефона изменён', body: sms!.text, id: a.id('completed/push') }]);
    expect(await a.ports.history.list('acct-1')).toEqual([expect.objectContaining({ kind: 'completed', channels: ['sms', 'email', 'push'], text: sms!.text, seq: 1 })]);
  });

  it('CH-1: a retried notice sends, publishes and records nothing more', async () => {
    const a = activityEnv();
    const req = notice({ smsTo: [OLD, '+79160000002'], event: { type: 'completed' } });
    await a.call('notify', req);
    await a.call('notify', req);
    expect([a.ports.sms.sent.length, a.ports.mailer.sent.length, a.ports.push.sent.length, a.ports.events.sent.length]).toEqual([2, 1, 1, 1]);
    expect(a.ports.sms.sent.map((m) => m.id)).toEqual([a.id('completed/sms/0'), a.id('completed/sms/1')]);
    expect(await a.ports.history.list('acct-1')).toHaveLength(1);
  });

  it('SEC-3: the request notice carries the single-use reject link; the history keeps the text without it', async () => {
    const a = activityEnv();
    await a.call('notify', notice({ kind: 'requested', key: 'requested', language: 'en', withRejectLink: true }));
    const link = `https://portal.test/nm/acct-1/${deriveToken(a.ports.keys.tokens, 'reject', 'run-1', 1)}`;
    expect(a.ports.sms.sent[0]?.text).toBe(`Gosuslugi: phone number change, request K7M2QX9PHA. Not you? ${link}`);
    expect(a.ports.mailer.sent[0]?.text).toContain(link);
    const [entry] = await a.ports.history.list('acct-1');
    expect(entry?.text).toBe('Gosuslugi: phone number change, request K7M2QX9PHA. Not you? <link>');
  });

  it('only the channels the notice names: push alone, no e-mail without an address', async () => {
    const a = activityEnv();
    await a.call('notify', notice({ kind: 'wrong_code', key: 'wrong_code-old-1', smsTo: [], email: undefined, push: true }));
    expect([a.ports.sms.sent.length, a.ports.mailer.sent.length, a.ports.push.sent.length]).toEqual([0, 0, 1]);
    expect((await a.ports.history.list('acct-1'))[0]?.channels).toEqual(['push']);
  });

  it('OTP-4: wrong entries count against the account; the one that fills the window answers the block', async () => {
    const a = activityEnv();
    const { max } = a.ports.limits.wrongEntriesPerAccount;
    const answers = [];
    for (let n = 1; n <= max; n++) answers.push(await a.call('notify', notice({ kind: 'wrong_code', key: `wrong_code-old-${n}`, smsTo: [], countWrongEntry: true })));
    expect(answers.slice(0, max - 1)).toEqual(Array.from({ length: max - 1 }, () => ({ blockedForMs: undefined })));
    expect(answers[max - 1]?.blockedForMs).toBeGreaterThan(0);
  });
});

describe('publishEvent and recordHistory (fakes, MockActivityEnvironment)', () => {
  it('DONE-3: an event and a record without a notice, each once per key', async () => {
    const a = activityEnv();
    const event = { type: 'linked_synced', key: 'linked-synced', accountId: 'acct-1', requestId: 'K7M2QX9PHA', at: '2026-11-25T01:17:00.000Z' };
    await a.call('publishEvent', event);
    await a.call('publishEvent', event);
    const record = { accountId: 'acct-1', requestId: 'K7M2QX9PHA', kind: 'linked_synced', key: 'linked-synced', text: 'all services have the number', at: event.at, actor: 'op-17' };
    await a.call('recordHistory', record);
    await a.call('recordHistory', record);
    expect(a.ports.events.sent).toEqual([{ type: 'linked_synced', accountId: 'acct-1', requestId: 'K7M2QX9PHA', at: event.at, id: a.id('event-linked-synced') }]);
    expect((await a.ports.history.list('acct-1')).map(({ kind, channels, text, actor }) => ({ kind, channels, text, actor }))).toEqual([
      { kind: 'linked_synced', channels: [], text: 'all services have the number', actor: 'op-17' },
    ]);
  });
});
