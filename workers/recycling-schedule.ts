/**
 * SIG-2: the scheduled recycled-number sweep, a Temporal Schedule created once (an existing one is
 * left as it is). Overlaps are skipped: a sweep still running when the next is due carries on.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { RECYCLING_SCHEDULE_ID, RECYCLING_SWEEP_WORKFLOW_ID } from '../workflows/recycling.defs';

export async function ensureRecyclingSchedule(client: Client, taskQueue: string, every: string): Promise<'created' | 'exists'> {
  try {
    await client.schedule.create({
      scheduleId: RECYCLING_SCHEDULE_ID,
      spec: { intervals: [{ every: every as `${number}h` }] },
      action: { type: 'startWorkflow', workflowType: 'recyclingSweep', workflowId: RECYCLING_SWEEP_WORKFLOW_ID, taskQueue, args: [{ source: 'sweep' }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    });
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'exists';
    throw err;
  }
}
