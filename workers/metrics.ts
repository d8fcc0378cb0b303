/**
 * Metrics: one Prometheus endpoint per worker process (METRICS_ADDRESS), served by the SDK's
 * runtime. It carries the SDK's own metrics (temporal_*: task latencies, polls, failures) and the
 * product's (phone_change_*, names in workflows/metric-names.ts): run starts, ends and verdicts
 * from the workflow interceptor (workflows/metrics-interceptors.ts), and from here what the
 * worker actually sent and which limits it hit, counted at the ports so the activities stay as they are.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MetricMeter } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
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

/** The notice kind of the activity running now (mail carries no kind of its own). */
const currentKind = new AsyncLocalStorage<string>();

/** Runs each activity with its request's `kind` at hand, for the mail counter. */
export const kindOfActivity: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      const kind = (input.args[0] as { kind?: unknown } | undefined)?.kind;
      return typeof kind === 'string' ? currentKind.run(kind, () => next(input)) : next(input);
    },
  } satisfies ActivityInboundCallsInterceptor,
});

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
        // Outside an activity only the delivery-report bridge sends mail: an SMS's fallback.
        mail.add(1, { kind: currentKind.getStore() ?? 'sms_fallback' });
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
