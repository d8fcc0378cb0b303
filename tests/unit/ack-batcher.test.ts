/**
 * Issue 12, AFTER-1: the linked-ack bridge's batching (workers/ack-batcher.ts) with a recording
 * `send` and vitest's fake clock; the payload check every sync applies (SEC-7); the setting.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckBatcher, DEFAULT_LINKED_ACK_BATCH_MS, type SyncRef } from '../../workers/ack-batcher';
import { acknowledgedServices, LINKED_ACK_MAX_SERVICES, recordAcks } from '../../workflows/after-change.defs';
import { ConfigError, loadConfig } from '../../workers/config';

const A: SyncRef = { accountId: 'acct-a', requestId: 'REQA' };
const B: SyncRef = { accountId: 'acct-b', requestId: 'REQB' };

function recorder(fail?: (services: string[]) => boolean) {
  const sent: { ref: SyncRef; services: string[] }[] = [];
  return {
    sent,
    send: async (ref: SyncRef, services: string[]) => {
      sent.push({ ref, services });
      if (fail?.(services)) throw new Error('signal failed');
    },
  };
}

/** Records how each `add` settled. */
function settled(p: Promise<void>): { state: 'pending' | 'ok' | 'failed' } {
  const s = { state: 'pending' as 'pending' | 'ok' | 'failed' };
  p.then(
    () => (s.state = 'ok'),
    () => (s.state = 'failed'),
  );
  return s;
}

describe('linked-ack batching (issue 12, AFTER-1)', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('AFTER-1: acks of one sync within the window go as one send; each add settles only after it; other syncs apart', async () => {
    const r = recorder();
    const b = new AckBatcher({ windowMs: 100, maxPerSync: 16, maxSyncs: 8, send: r.send });
    const adds = ['sms_subscriptions', 'two_factor_login', 'bank_cards'].map((s) => settled(b.add(A, s)));
    const other = settled(b.add(B, 'mobile_app'));
    await vi.advanceTimersByTimeAsync(99);
    expect(r.sent).toEqual([]);
    expect(adds.every((a) => a.state === 'pending')).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.sent).toEqual([
      { ref: A, services: ['sms_subscriptions', 'two_factor_login', 'bank_cards'] },
      { ref: B, services: ['mobile_app'] },
    ]);
    expect(adds.map((a) => a.state)).toEqual(['ok', 'ok', 'ok']);
    expect(other.state).toBe('ok');
    expect(b.size).toBe(0);
    // A later ack of the same sync starts a batch of its own.
    const late = settled(b.add(A, 'mobile_app'));
    await vi.advanceTimersByTimeAsync(100);
    expect(r.sent.at(-1)).toEqual({ ref: A, services: ['mobile_app'] });
    expect(late.state).toBe('ok');
  });

  it('AFTER-1: an ack that comes twice is sent once; both messages settle with the send', async () => {
    const r = recorder();
    const b = new AckBatcher({ windowMs: 50, maxPerSync: 16, maxSyncs: 8, send: r.send });
    const twice = [settled(b.add(A, 'bank_cards')), settled(b.add(A, 'bank_cards'))];
    await vi.advanceTimersByTimeAsync(50);
    expect(r.sent).toEqual([{ ref: A, services: ['bank_cards'] }]);
    expect(twice.map((a) => a.state)).toEqual(['ok', 'ok']);
  });

  it('AFTER-1: a failed send fails every ack it carried (JetStream delivers them again)', async () => {
    const r = recorder(() => true);
    const b = new AckBatcher({ windowMs: 50, maxPerSync: 16, maxSyncs: 8, send: r.send });
    const adds = [settled(b.add(A, 'bank_cards')), settled(b.add(A, 'mobile_app'))];
    await vi.advanceTimersByTimeAsync(50);
    expect(adds.map((a) => a.state)).toEqual(['failed', 'failed']);
    const throwsAtOnce = new AckBatcher({
      windowMs: 50,
      maxPerSync: 16,
      maxSyncs: 8,
      send: () => {
        throw new Error('sync throw');
      },
    });
    const one = settled(throwsAtOnce.add(A, 'bank_cards'));
    await vi.advanceTimersByTimeAsync(50);
    expect(one.state).toBe('failed');
  });

  it('AFTER-1: bounded: a full batch goes at once, and past the syncs held the oldest goes at once', async () => {
    const r = recorder();
    const b = new AckBatcher({ windowMs: 10_000, maxPerSync: 3, maxSyncs: 2, send: r.send });
    for (const s of ['s1', 's2', 's3']) void b.add(A, s);
    await vi.advanceTimersByTimeAsync(0);
    expect(r.sent).toEqual([{ ref: A, services: ['s1', 's2', 's3'] }]);
    const C: SyncRef = { accountId: 'acct-c', requestId: 'REQC' };
    void b.add(A, 's4');
    void b.add(B, 's1');
    expect(b.size).toBe(2);
    void b.add(C, 's1');
    await vi.advanceTimersByTimeAsync(0);
    expect(r.sent.slice(1)).toEqual([{ ref: A, services: ['s4'] }]);
    expect(b.size).toBe(2);
    b.flushAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.sent.slice(2)).toEqual([
      { ref: B, services: ['s1'] },
      { ref: C, services: ['s1'] },
    ]);
    expect(b.size).toBe(0);
  });

  it('refuses a window or bounds that are not positive', () => {
    expect(() => new AckBatcher({ windowMs: 0, maxPerSync: 16, maxSyncs: 8, send: async () => undefined })).toThrow(RangeError);
    expect(() => new AckBatcher({ windowMs: 50, maxPerSync: 0, maxSyncs: 8, send: async () => undefined })).toThrow(RangeError);
  });
});

describe('linkedAck payloads (SEC-7, AFTER-1)', () => {
  it('SEC-7: the new form and the old form acknowledge their services; anything else acknowledges nothing and throws nothing', () => {
    expect(acknowledgedServices({ services: ['bank_cards', 'mobile_app'] })).toEqual(['bank_cards', 'mobile_app']);
    expect(acknowledgedServices({ service: 'bank_cards' })).toEqual(['bank_cards']);
    expect(acknowledgedServices({ services: Array.from({ length: LINKED_ACK_MAX_SERVICES }, (_, i) => `s${i}`) })).toHaveLength(16);
    const malformed: unknown[] = [
      null,
      undefined,
      'bank_cards',
      42,
      [],
      ['bank_cards'],
      {},
      { services: 'bank_cards' },
      { services: null },
      { services: { 0: 'bank_cards', length: 1 } },
      { services: Array.from({ length: 17 }, () => 'bank_cards') },
      { services: ['bank_cards', 'x'.repeat(65)] },
      { services: ['bank_cards', 7] },
      { services: ['bank_cards', null] },
      { services: [['bank_cards']] },
      // `services` present decides the form: a bad one is not rescued by `service`.
      { services: 7, service: 'bank_cards' },
      { service: 5 },
      { service: null },
      { service: 'x'.repeat(65) },
      { service: ['bank_cards'] },
    ];
    for (const p of malformed) expect(acknowledgedServices(p), JSON.stringify(p)).toEqual([]);
  });

  it('SEC-7: a flood of forged acks with made-up names keeps at most 16 before the services are known, and none of them after', () => {
    const acked = new Map<string, string>();
    for (let i = 0; i < 1000; i++) recordAcks(acked, [], acknowledgedServices({ services: Array.from({ length: 16 }, (_, j) => `forged${i}-${j}`) }), 't0');
    expect(acked.size).toBe(LINKED_ACK_MAX_SERVICES);
    const told = ['bank_cards', 'mobile_app'];
    const afterAnnouncement = new Map([['bank_cards', 't1']]);
    for (let i = 0; i < 100; i++) recordAcks(afterAnnouncement, told, [`forged${i}`, 'bank_cards'], 't2');
    expect([...afterAnnouncement]).toEqual([['bank_cards', 't1']]); // the first ack's time is kept
    recordAcks(afterAnnouncement, told, ['mobile_app'], 't3');
    expect(afterAnnouncement.get('mobile_app')).toBe('t3');
  });
});

describe('worker configuration: LINKED_ACK_BATCH_MS (issue 12)', () => {
  it('defaults to the window, takes 0 (one signal per ack), refuses garbage naming the variable', () => {
    expect(loadConfig({}).linkedAckBatchMs).toBe(DEFAULT_LINKED_ACK_BATCH_MS);
    expect(loadConfig({ LINKED_ACK_BATCH_MS: '0' }).linkedAckBatchMs).toBe(0);
    expect(loadConfig({ LINKED_ACK_BATCH_MS: '250' }).linkedAckBatchMs).toBe(250);
    for (const bad of ['-1', '12.5', 'soon', '60000']) {
      expect(() => loadConfig({ LINKED_ACK_BATCH_MS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ LINKED_ACK_BATCH_MS: bad })).toThrow(/LINKED_ACK_BATCH_MS/);
    }
  });
});
