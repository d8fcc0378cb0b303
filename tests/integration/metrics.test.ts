/**
 * Issue 13, metrics: a worker process with METRICS_ADDRESS serves the SDK's metrics and the
 * product's on one Prometheus endpoint; after a known run its counters match what the run did,
 * counted from what reached the outbox, the SMTP server and the workflows' results.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, refusal, startHarness, StreamTail, wrongCode, type Harness } from '../support/harness';
import { kill, spawnWorker } from '../support/worker-process';
import { freePort } from '../../temporal-config/stack';
import { STREAMS, SUBJECTS } from '../../activities/adapters/nats/resources';
import { METRIC } from '../../workflows/metric-names';
import { RateLimitedError } from '../../workflows/domain/errors';
import type { PushMessage } from '../../activities/ports';

let h: Harness;
let worker: ChildProcess;
let metricsUrl: string;
beforeAll(async () => {
  h = await startHarness({ startWorker: false });
  metricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
  // One start per account a day: the second start on an account is refused by the limit.
  worker = spawnWorker(h, 'metrics-worker', { METRICS_ADDRESS: new URL(metricsUrl).host, LIMIT_STARTS_PER_ACCOUNT: '1/24h' });
  await eventually(async () => (await fetch(metricsUrl)).ok, 'the metrics endpoint', 120_000);
});
afterAll(async () => {
  if (worker) await kill(worker, 'SIGTERM');
  await h?.close();
});

/** Prometheus text format: `name{a="x",b="y"} value` lines, summed over the samples matching `labels`. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? ([\d.e+-]+|NaN|\+Inf)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

const countBy = <T>(items: T[], key: (t: T) => string) => items.reduce<Record<string, number>>((acc, t) => ({ ...acc, [key(t)]: (acc[key(t)] ?? 0) + 1 }), {});

describe('metrics (issue 13)', () => {
  it('the worker endpoint serves the SDK metrics and the product counters, which match what the run did', { timeout: 180_000 }, async () => {
    const push = await StreamTail.start<PushMessage>(h.services.nc, STREAMS.outbox.name, SUBJECTS.push);
    try {
      const [a, b, c] = [await h.newAccount(), await h.newAccount(), await h.newAccount()];
      await h.completeChange(a, h.freshPhone());
      // b: a wrong old-number code first, then the right one.
      await h.client.start({ accountId: b.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
      const old = await h.codeSentTo(b.phone);
      expect((await h.client.submitCode(b.accountId, 'old', wrongCode(old))).outcome).toBe('wrong');
      await h.client.submitCode(b.accountId, 'old', old);
      const bNew = (await h.client.status(b.accountId)).newPhoneMasked;
      expect(bNew).toBeTruthy();
      const newCode = await eventually(() => h.sms.items.find((m) => m.accountId === b.accountId && m.kind === 'code_new'), 'the new code');
      await h.client.submitCode(b.accountId, 'new', /\b(\d{6})\b/.exec(newCode.text)![1]!);
      expect((await h.client.result(b.accountId)).state).toBe('completed');
      // c: cancelled while waiting for the old-number code.
      await h.client.start({ accountId: c.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
      await h.codeSentTo(c.phone);
      await h.client.cancel(c.accountId);
      expect((await h.client.result(c.accountId)).state).toBe('cancelled');
      // a again: refused by the limit of one start a day.
      expect(await refusal(h.client.start({ accountId: a.accountId, newPhone: h.freshPhone(), auth: 'two_factor' }))).toBeInstanceOf(RateLimitedError);
      expect((await h.client.result(a.accountId)).state).toBe('refused');

      const ours = new Set([a, b, c].map((x) => x.accountId));
      await h.smsSettled();
      const sms = countBy(
        h.sms.items.filter((m) => ours.has(m.accountId)),
        (m) => m.kind,
      );
      const expectedPush = await eventually(() => {
        const p = push.items.filter((m) => ours.has(m.accountId));
        // requested x3, completed x2, wrong_code, cancelled
        return p.length >= 7 && countBy(p, (m) => m.kind);
      }, 'the push messages');
      const text = await eventually(async () => {
        const t = await (await fetch(metricsUrl)).text();
        return sample(t, `${METRIC.ended}_total`) >= 4 && sample(t, `${METRIC.pushSent}_total`) >= 7 && t;
      }, 'the counters of the run');

      expect(sample(text, `${METRIC.started}_total`)).toBe(4);
      expect(sample(text, `${METRIC.completed}_total`)).toBe(2);
      expect(sample(text, `${METRIC.ended}_total`, { state: 'completed' })).toBe(2);
      expect(sample(text, `${METRIC.ended}_total`, { state: 'cancelled', reason: 'ChangeCancelled' })).toBe(1);
      expect(sample(text, `${METRIC.ended}_total`, { state: 'refused', reason: 'RateLimitedError' })).toBe(1);
      expect(sample(text, `${METRIC.limitsHit}_total`, { scope: 'startsPerAccount' })).toBe(1);
      expect(sample(text, `${METRIC.verdicts}_total`, { proof: 'code_old', verdict: 'accepted' })).toBe(2);
      expect(sample(text, `${METRIC.verdicts}_total`, { proof: 'code_old', verdict: 'wrong' })).toBe(1);
      expect(sample(text, `${METRIC.verdicts}_total`, { proof: 'code_new', verdict: 'accepted' })).toBe(2);
      expect(sample(text, `${METRIC.verdictLatency}_count`, { proof: 'code_old' })).toBe(3);
      expect(sample(text, `${METRIC.verdictLatency}_count`, { proof: 'code_new' })).toBe(2);
      for (const [kind, n] of Object.entries(sms)) expect(sample(text, `${METRIC.smsSent}_total`, { kind }), `SMS ${kind}`).toBe(n);
      expect(sample(text, `${METRIC.smsSent}_total`)).toBe(Object.values(sms).reduce((x, y) => x + y, 0));
      for (const [kind, n] of Object.entries(expectedPush)) expect(sample(text, `${METRIC.pushSent}_total`, { kind }), `push ${kind}`).toBe(n);
      // The worker's SMTP server is this file's alone: every mail it holds is the run's.
      expect(sample(text, `${METRIC.mailSent}_total`)).toBe(h.smtp.received.length);
      expect(sample(text, `${METRIC.mailSent}_total`, { kind: 'completed' })).toBe(2);
      // The SDK's own metrics come out of the same endpoint.
      expect(sample(text, 'temporal_workflow_completed_total')).toBeGreaterThanOrEqual(4);
      // v7 runs every step of a happy change as a local activity (issue 12).
      expect(text).toMatch(/^temporal_(local_)?activity_execution_latency_count\{/m);
    } finally {
      push.stop();
    }
  });
});
