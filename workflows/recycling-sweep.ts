/**
 * SIG-2: checks bound numbers against the operator's Number Recycling, in batches, one number at a
 * time, with a pause between batches (the operator's rate limits), and continues as new after a
 * number of batches so its history stays small; the cursor and counts travel to the next run.
 * The scheduled sweep walks every bound number; the operator feed hands it a list. Only the
 * operator's answer releases a binding (activities/recycling.ts), so any input causes checks at most.
 */
import { continueAsNew, log, proxyActivities, proxyLocalActivities, setHandler, sleep } from '@temporalio/workflow';
import type { PhoneChangeActivities } from '../activities';
import { nonRetryableErrorTypes } from './domain/errors';
import { sweepInputSchema, sweepProgressQuery, type SweepInput, type SweepProgress } from './recycling.defs';

const acts = proxyActivities<PhoneChangeActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes },
});
const local = proxyLocalActivities<PhoneChangeActivities>({ startToCloseTimeout: '5 seconds' });

export async function recyclingSweep(raw: SweepInput): Promise<SweepProgress> {
  const parsed = sweepInputSchema.safeParse(raw);
  if (!parsed.success) {
    log.warn('recycling sweep refused: malformed input', { issues: parsed.error.issues.length });
    return { source: 'sweep', checked: 0, recycled: 0, unknown: 0, runs: 0, done: true };
  }
  const input = parsed.data;
  const p: SweepProgress = { source: input.source, ...(input.progress ?? { checked: 0, recycled: 0, unknown: 0, runs: 0 }), cursor: input.cursor, done: false };
  p.runs += 1;
  setHandler(sweepProgressQuery, () => ({ ...p }));
  const settings = await local.sweepSettings();
  if (!settings.enabled) return { ...p, done: true };
  for (let b = 0; b < settings.batchesPerRun; b++) {
    const batch = await nextBatch(input.numbers, p.cursor, settings.batchSize);
    if (batch.length === 0) {
      p.done = true;
      return { ...p };
    }
    for (const phone of batch) {
      const outcome = await acts.checkBinding({ phone, source: input.source }).catch(() => 'unknown' as const);
      p.checked += 1;
      if (outcome === 'recycled') p.recycled += 1;
      if (outcome === 'unknown') p.unknown += 1;
      p.cursor = phone;
    }
    if (settings.pauseMs > 0) await sleep(settings.pauseMs);
  }
  const { cursor, checked, recycled, unknown, runs } = p;
  return continueAsNew<typeof recyclingSweep>({ numbers: input.numbers, source: input.source, cursor, progress: { checked, recycled, unknown, runs } });
}

/** The feed's list in order (numbers after the cursor), or the registry's next bound numbers. */
async function nextBatch(numbers: string[] | undefined, cursor: string | undefined, size: number): Promise<string[]> {
  if (numbers) {
    const from = cursor === undefined ? 0 : numbers.indexOf(cursor) + 1;
    return numbers.slice(from, from + size);
  }
  return acts.listBindings({ after: cursor, limit: size });
}
