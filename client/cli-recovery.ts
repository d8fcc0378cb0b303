/**
 * CLI commands of access recovery (REC-1, REC-2), added to the main program by cli.ts (the local
 * mobile operator's commands are the dev stack's: temporal-config/dev-operator-cli.ts). Passwords are read from the environment (NEW_PASSWORD,
 * TEMP_PASSWORD), never from arguments, so they stay out of shell history and process lists.
 */
import { Option, type Command } from 'commander';
import { overrideMethods, type OverrideMethod } from '../workflows/phone-change.defs';
import type { RecoveryClient } from './recovery-client';

/** A command action run with a session (cli.ts's runner); `S` is what the actions use of it. */
export type Run<S> = <A extends unknown[]>(fn: (s: S, ...args: A) => Promise<unknown>) => (...args: A) => Promise<void>;

function secret(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name} in the environment (it is not taken as an argument, to keep it out of shell history)`);
  return v;
}

export function addRecoveryCommands(program: Command, support: Command, run: Run<{ recovery: RecoveryClient }>): void {
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
