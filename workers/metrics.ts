/**
 * Metrics: one Prometheus endpoint per worker process (METRICS_ADDRESS), served by the SDK's
 * runtime. It carries the SDK's own metrics (temporal_*: task latencies, polls, failures) and the
 * product's (phone_change_*, names in workflows/metric-names.ts): run starts, ends and verdicts
 * from the workflow interceptor (workflows/metrics-interceptors.ts), and from here what the
 * worker actually sent and which limits it hit, counted at the ports so the activities stay as they are.
 */
import type { MetricMeter } from '@temporalio/common';
import type { ActivityDeps } from '../activities';
import { METRIC } from '../workflows/metric-names';

/** Runtime.install's telemetry for an endpoint on `bindAddress` (host:port). */
export function prometheusTelemetry(bindAddress: string) {
  return {
    metrics: {
      prometheus: {
        bindAddress,
        countersTotalSuffix: true,
        // Verdicts wait for the next step's send or the binding: seconds, not milliseconds.
        histogramBucketOverrides: { [METRIC.verdictLatency]: [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000] },
      },
    },
  };
}

/** The ports with counters around them: a send counts once the port accepted it. */
export function instrumentDeps<D extends Pick<ActivityDeps, 'sms' | 'push' | 'mailer' | 'limiter'>>(deps: D, meter: MetricMeter): D {
  const sms = meter.createCounter(METRIC.smsSent, undefined, 'SMS handed to the gateway, by kind');
  const mail = meter.createCounter(METRIC.mailSent, undefined, 'e-mails accepted by the SMTP server, by kind');
  const push = meter.createCounter(METRIC.pushSent, undefined, 'push messages published, by kind');
  const limits = meter.createCounter(METRIC.limitsHit, undefined, 'requests refused by a limit against abuse, by scope');
  return {
    ...deps,
    sms: {
      async send(m, id) {
        await deps.sms.send(m, id);
        sms.add(1, { kind: m.kind });
      },
    },
    push: {
      async send(m, id) {
        await deps.push.send(m, id);
        push.add(1, { kind: m.kind });
      },
    },
    mailer: {
      async send(m, id) {
        await deps.mailer.send(m, id);
        mail.add(1, { kind: m.kind ?? 'unknown' });
      },
    },
    limiter: {
      async admit(scope, key, limit, eventId) {
        const wait = await deps.limiter.admit(scope, key, limit, eventId);
        if (wait !== undefined) limits.add(1, { scope });
        return wait;
      },
    },
  };
}
