/**
 * CLI commands of access recovery (REC-1, REC-2) and of the local mobile operator (SIG-1, SIG-2),
 * added to the main program by cli.ts. Passwords are read from the environment (NEW_PASSWORD,
 * TEMP_PASSWORD), never from arguments, so they stay out of shell history and process lists.
 */
import { Option, type Command } from 'commander';
import { overrideMethods, type OverrideMethod } from '../workflows/phone-change.defs';
import { OPERATOR_FEED_SUBJECT, RECYCLING_SCHEDULE_ID, sweepProgressQuery } from '../workflows/recycling.defs';
import type { Session } from './cli';

type Run = <A extends unknown[]>(fn: (s: Session, ...args: A) => Promise<unknown>) => (...args: A) => Promise<void>;

function secret(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name} in the environment (it is not taken as an argument, to keep it out of shell history)`);
  return v;
}

export function addRecoveryCommands(program: Command, support: Command, run: Run): void {
  const reset = program.command('password-reset').description('REC-1: reset the password with a code sent to the bound e-mail');
  reset
    .command('start')
    .requiredOption('--account <id>', 'account id')
    .action(run((s, o: { account: string }) => s.recovery.startPasswordReset(o.account)));
  reset
    .command('confirm')
    .description('the code from the e-mail, with the new password from NEW_PASSWORD')
    .argument('<code>', 'the 6-digit code')
    .requiredOption('--account <id>', 'account id')
    .action(run((s, code: string, o: { account: string }) => s.recovery.resetPassword(o.account, code, secret('NEW_PASSWORD'))));
  reset
    .command('resend')
    .requiredOption('--account <id>', 'account id')
    .action(run((s, o: { account: string }) => s.recovery.resendResetCode(o.account)));
  reset
    .command('status')
    .requiredOption('--account <id>', 'account id')
    .action(run((s, o: { account: string }) => s.recovery.passwordResetStatus(o.account)));

  program
    .command('recovery-request')
    .description('REC-2: the citizen has no e-mail: open a recovery for support')
    .requiredOption('--account <id>', 'account id')
    .action(run((s, o: { account: string }) => s.recovery.startSupportRecovery(o.account)));
  program
    .command('first-login')
    .description('REC-2: replace the temporary password (TEMP_PASSWORD) with a new one (NEW_PASSWORD)')
    .requiredOption('--account <id>', 'account id')
    .action(run((s, o: { account: string }) => s.recovery.replaceTemporaryPassword(o.account, secret('TEMP_PASSWORD'), secret('NEW_PASSWORD'))));
  support
    .command('recovery')
    .description('REC-2: documents checked, enable login by hand: a temporary password goes by SMS to the new number')
    .requiredOption('--account <id>', 'account id')
    .addOption(new Option('--credential <jwt>', 'your operator credential for this recovery (action support:recovery)').env('OPERATOR_TOKEN'))
    .addOption(new Option('--method <method>', 'how identity was proved').choices([...overrideMethods]).makeOptionMandatory())
    .requiredOption('--evidence <ref>', 'reference to the evidence')
    .requiredOption('--reason <text>', 'why')
    .requiredOption('--phone <number>', "the citizen's new number")
    .action(
      run((s, o: { account: string; credential: string; method: OverrideMethod; evidence: string; reason: string; phone: string }) =>
        s.recovery.enableLogin(o.account, { credential: o.credential, method: o.method, evidenceRef: o.evidence, reason: o.reason, newPhone: o.phone }),
      ),
    );
}

/** SIG-1, SIG-2 on the local stack: tell the local operator what happened, feed it, run the sweep now. */
export function addOperatorDevCommands(dev: Command, run: Run): void {
  const op = dev.command('operator').description('the local mobile operator (CAMARA SIM Swap, Number Recycling)');
  const post = async (s: Session, path: string, body: unknown) => {
    // The local stack's operator when none is configured (the CLI runs beside `npm start`).
    const url = s.config.operatorApi?.baseUrl ?? 'http://127.0.0.1:9091';
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return res.json();
  };
  op.command('sim-swap')
    .description('SIG-1: the SIM of this number changed (hours ago)')
    .requiredOption('--phone <e164>', 'the number')
    .option('--hours-ago <n>', 'when', '1')
    .action(run((s, o: { phone: string; hoursAgo: string }) => post(s, '/_dev/sim-swap', { phoneNumber: o.phone, at: new Date(Date.now() - Number(o.hoursAgo) * 3_600_000).toISOString() })));
  op.command('recycled')
    .description('SIG-2: this number went to a new subscriber on a date')
    .requiredOption('--phone <e164>', 'the number')
    .option('--on <date>', 'YYYY-MM-DD', new Date().toISOString().slice(0, 10))
    .action(run((s, o: { phone: string; on: string }) => post(s, '/_dev/recycled', { phoneNumber: o.phone, at: `${o.on}T12:00:00Z` })));
  op.command('mode')
    .description('SIG-1: how the operator API behaves')
    .argument('<mode>', 'up | down | slow')
    .option('--delay-ms <n>', 'with slow', '60000')
    .action(run((s, mode: string, o: { delayMs: string }) => post(s, '/_dev/mode', { mode, delayMs: Number(o.delayMs) })));
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
