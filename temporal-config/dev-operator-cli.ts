/**
 * `npm run cli -- dev operator ...` (SIG-1, SIG-2 on the local stack): tell the local mobile
 * operator (operator-server.ts) what happened, publish its feed, run the recycled-number sweep now.
 */
import type { Command } from 'commander';
import type { Run } from '../client/cli-recovery';
import type { Session } from '../client/cli';
import { OPERATOR_FEED_SUBJECT, RECYCLING_SCHEDULE_ID, sweepProgressQuery } from '../workflows/recycling.defs';

/** SIG-1, SIG-2 on the local stack: tell the local operator what happened, feed it, run the sweep now. */
/** `operatorUrl`: the configured operator API's base URL, if any (the worker's configuration, read by dev-cli.ts). */
export function addOperatorDevCommands(dev: Command, run: Run<Session>, operatorUrl: () => string | undefined): void {
  const op = dev.command('operator').description('the local mobile operator (CAMARA SIM Swap, Number Recycling)');
  const post = async (path: string, body: unknown) => {
    // The local stack's operator when none is configured (the CLI runs beside `npm start`).
    const url = operatorUrl() ?? 'http://127.0.0.1:9091';
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return res.json();
  };
  op.command('sim-swap')
    .description('SIG-1: the SIM of this number changed (hours ago)')
    .requiredOption('--phone <e164>', 'the number')
    .option('--hours-ago <n>', 'when', '1')
    .action(run((_s, o: { phone: string; hoursAgo: string }) => post('/_dev/sim-swap', { phoneNumber: o.phone, at: new Date(Date.now() - Number(o.hoursAgo) * 3_600_000).toISOString() })));
  op.command('recycled')
    .description('SIG-2: this number went to a new subscriber on a date')
    .requiredOption('--phone <e164>', 'the number')
    .option('--on <date>', 'YYYY-MM-DD', new Date().toISOString().slice(0, 10))
    .action(run((_s, o: { phone: string; on: string }) => post('/_dev/recycled', { phoneNumber: o.phone, at: `${o.on}T12:00:00Z` })));
  op.command('mode')
    .description('SIG-1: how the operator API behaves')
    .argument('<mode>', 'up | down | slow')
    .option('--delay-ms <n>', 'with slow', '60000')
    .action(run((_s, mode: string, o: { delayMs: string }) => post('/_dev/mode', { mode, delayMs: Number(o.delayMs) })));
  op.command('feed')
    .description("SIG-2: publish the operator's list of reassigned numbers (what the operator would send)")
    .argument('<numbers...>', 'E.164 numbers')
    .action(run(async (s, numbers: string[]) => (await s.nc.request(OPERATOR_FEED_SUBJECT, JSON.stringify({ numbers }), { timeout: 10_000 })).json()));
  op.command('sweep')
    .description('SIG-2: run the scheduled recycled-number sweep now and wait for its result')
    .action(
      run(async (s) => {
        const schedule = s.temporal.schedule.getHandle(RECYCLING_SCHEDULE_ID);
        const before = (await schedule.describe()).info.recentActions.length;
        await schedule.trigger();
        for (let i = 0; i < 100; i++) {
          const actions = (await schedule.describe()).info.recentActions;
          const last = actions[actions.length - 1]?.action;
          if (actions.length > before && last?.type === 'startWorkflow') {
            const handle = s.temporal.workflow.getHandle(last.workflow.workflowId);
            await handle.result().catch(() => undefined);
            return s.temporal.workflow
              .getHandle(last.workflow.workflowId)
              .query(sweepProgressQuery)
              .catch(() => handle.result());
          }
          await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error('the sweep did not start');
      }),
    );
}
