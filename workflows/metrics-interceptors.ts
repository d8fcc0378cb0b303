/**
 * The product's workflow-side metrics, kept out of the change's own code: a workflow interceptor
 * sees every run start and end and every proof's verdict. The SDK's workflow `metricMeter` drops
 * what is recorded while replaying, so a run counts once however often it is replayed; it goes out
 * through the worker's Prometheus endpoint with the SDK's own metrics (workers/metrics.ts).
 */
import { metricMeter, workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { PhoneChangeResult } from './phone-change.defs';
import { METRIC } from './metric-names';

// Created on use: the meter forwards to the worker through a sink, which exists only inside a run.
const counter = (name: string, description: string) => metricMeter.createCounter(name, undefined, description);
const started = () => counter(METRIC.started, 'phone changes started (including those refused at validation)');
const completed = () => counter(METRIC.completed, 'phone changes completed (number bound)');
const ended = () => counter(METRIC.ended, 'phone changes ended, by final state and reason');
const verdicts = () => counter(METRIC.verdicts, "the worker's verdicts on the citizen's proofs");
const latency = () => metricMeter.createHistogram(METRIC.verdictLatency, 'int', 'ms', 'proof taken to verdict answered, in workflow time');

/** The updates that carry a proof; the label says which (a code's step, never the code). */
const PROOFS: Record<string, (args: unknown[]) => string> = {
  submitCode: (args) => `code_${(args[0] as { step?: unknown } | undefined)?.step === 'new' ? 'new' : 'old'}`,
  submitRecoveryCode: () => 'recovery_code',
  confirmIdentity: () => 'identity',
  reject: (args) => ((args[0] as { by?: unknown } | undefined)?.by === 'owner' ? 'reject_link' : 'support_reject'),
};

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        if (workflowInfo().workflowType !== 'phoneChange') return next(input);
        started().add(1);
        const result = (await next(input)) as PhoneChangeResult;
        if (result.state === 'completed') completed().add(1);
        ended().add(1, { state: result.state, reason: result.failure?.type ?? result.state });
        return result;
      },
      async handleUpdate(input, next) {
        const proof = PROOFS[input.name]?.(input.args);
        if (!proof) return next(input);
        // Workflow time: from the task that took the proof to the one that answered it.
        const t0 = Date.now();
        try {
          const answer = (await next(input)) as { outcome?: string } | undefined;
          verdicts().add(1, { proof, verdict: answer?.outcome ?? 'accepted' });
          return answer;
        } catch (err) {
          verdicts().add(1, { proof, verdict: 'refused' });
          throw err;
        } finally {
          latency().record(Date.now() - t0, { proof });
        }
      },
    },
  ],
});
