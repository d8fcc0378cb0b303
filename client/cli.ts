/**
 * The operators' and back ends' CLI over the client library: `tsx client/cli.ts <command>`
 * (`npm run cli` adds the development stack's `dev` commands: temporal-config/dev-cli.ts).
 * Configuration from the environment, the client's own (client/config.ts).
 */
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import { Client, Connection } from '@temporalio/client';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { loadClientConfig, type ClientConfig } from './config';
import { PhoneChangeClient } from './phone-change-client';
import { PhoneChangeError } from '../workflows/domain/errors';
import { authMethods, overrideMethods, type AuthMethod, type OverrideMethod, type Step } from '../workflows/phone-change.defs';
import { payloadCodec } from '../activities/adapters/connections';
import { JetStreamHistory } from '../activities/adapters/nats/publishers';
import { RecoveryClient } from './recovery-client';
import { addRecoveryCommands } from './cli-recovery';

export interface Session {
  config: ClientConfig;
  client: PhoneChangeClient;
  nc: NatsConnection;
  /** REC-1, REC-2; and the raw Temporal client for the SIG-2 sweep's schedule. */
  recovery: RecoveryClient;
  temporal: Client;
  close(): Promise<void>;
}

export async function openSession(config: ClientConfig = loadClientConfig()): Promise<Session> {
  const { address, namespace, apiKey, tls } = config.temporal;
  const connection = await Connection.connect({ address, apiKey, tls: tls ? {} : undefined });
  const nc = await connect({ servers: config.nats.servers, name: 'phone-change-cli' });
  const temporal = new Client({ connection, namespace, dataConverter: { payloadCodecs: [payloadCodec(config)] } });
  const client = new PhoneChangeClient({ client: temporal, taskQueue: config.temporal.taskQueue, history: new JetStreamHistory(jetstream(nc)) });
  const recovery = new RecoveryClient({ client: temporal, taskQueue: config.temporal.taskQueue, passwordPublicKey: config.passwordPublicKey });
  return { config, client, nc, recovery, temporal, close: async () => void (await Promise.all([connection.close(), nc.close()])) };
}

/** Runs a command with a session and prints its result as JSON. */
export function runner(open: () => Promise<Session>, print: (line: string) => void) {
  return <A extends unknown[]>(fn: (s: Session, ...args: A) => Promise<unknown>) =>
    async (...args: A) => {
      const s = await open();
      try {
        const out = await fn(s, ...args);
        if (out !== undefined) print(typeof out === 'string' ? out : JSON.stringify(out, null, 2));
      } finally {
        await s.close();
      }
    };
}

const stepOption = () => new Option('--step <step>', 'which number the code proves').choices(['old', 'new']).makeOptionMandatory();
export const accountOption = '--account <id>';
/** The operator's signed credential, bound to one change and action (SEC-6): from the operators' identity provider, `dev operator-token` in development. */
const credentialOption = () => new Option('--credential <jwt>', 'your operator credential for this change and action').env('OPERATOR_TOKEN');

/** Tells an operator without a credential how to get one (a bare "option missing" does not). */
function requireCredential(_support: Command, cmd: Command): void {
  if (!cmd.options.some((o) => o.long === '--credential') || cmd.opts().credential) return;
  const o = cmd.opts<{ account?: string; requestId?: string }>();
  cmd.error(
    [
      `error: support ${cmd.name()} needs an operator credential bound to this account, change and action (--credential <jwt> or OPERATOR_TOKEN); each is spent once.`,
      `  local stack: export OPERATOR_TOKEN=$(npm run -s cli -- dev operator-token --operator <your id> --account ${o.account ?? '<account>'} --request-id ${o.requestId ?? '<request id from status>'} --action support:${cmd.name()})`,
      "  production: ask the operators' identity provider for one.",
    ].join('\n'),
    { code: 'phone-change.missingCredential' },
  );
}

/**
 * The CLI's commands over a session factory; `open` and `print` are injected so tests can drive
 * it with any arguments without servers.
 */
export function buildProgram(open: () => Promise<Session>, print: (line: string) => void = console.log): Command {
  const run = runner(open, print);
  const program = new Command('phone-change').description('Phone-number changes: start, codes, status, history, support.');
  program.showHelpAfterError();

  program
    .command('start')
    .description('start a phone change (PRE-1..PRE-4); prints the request id to give the citizen')
    .requiredOption(accountOption, 'account id')
    .requiredOption('--phone <number>', 'the new number as typed, e.g. "+7 916 123-45-67"')
    .addOption(new Option('--auth <method>', 'how the citizen is authenticated').choices([...authMethods]).default('two_factor'))
    .option('--request-id <id>', 'idempotency key; repeat it to get the same change')
    .action(run((s, o: { account: string; phone: string; auth: AuthMethod; requestId?: string }) => s.client.start({ accountId: o.account, newPhone: o.phone, auth: o.auth, requestId: o.requestId })));

  program
    .command('code')
    .description('submit a code the citizen typed')
    .argument('<code>', 'the 6-digit code')
    .requiredOption(accountOption, 'account id')
    .addOption(stepOption())
    .action(run((s, code: string, o: { account: string; step: Step }) => s.client.submitCode(o.account, o.step, code)));

  program
    .command('recovery-code')
    .description('REC-3: a backup recovery code instead of the code to the old number')
    .argument('<code>', "one of the owner's recovery codes")
    .requiredOption(accountOption, 'account id')
    .action(run((s, code: string, o: { account: string }) => s.client.submitRecoveryCode(o.account, code)));

  program
    .command('resend')
    .description('send a new code for a step ("send again", OTP-3)')
    .requiredOption(accountOption, 'account id')
    .addOption(stepOption())
    .action(run((s, o: { account: string; step: Step }) => s.client.resend(o.account, o.step)));

  program
    .command('status')
    .description("the state of the account's current or last change")
    .requiredOption(accountOption, 'account id')
    .action(run((s, o: { account: string }) => s.client.status(o.account)));

  program
    .command('history')
    .description("the account's history (DONE-3), newest first")
    .requiredOption(accountOption, 'account id')
    .option('--limit <n>', 'entries to show', '20')
    .option('--before <seq>', 'page back: entries older than this sequence number')
    .action(
      run(async (s, o: { account: string; limit: string; before?: string }) => {
        const entries = await s.client.history(o.account, { limit: Number(o.limit), beforeSeq: o.before ? Number(o.before) : undefined });
        return (
          entries
            .map(
              (e) => `#${e.seq} ${e.at} ${e.kind.padEnd(16)} [${e.channels.join(',')}] ${e.requestId}${e.actor ? ` by ${e.actor}` : ''}: ${e.text}${e.details ? ` ${JSON.stringify(e.details)}` : ''}`,
            )
            .join('\n') || '(no entries)'
        );
      }),
    );

  program
    .command('identity')
    .description('SEC-2: confirm identity with the token from the identity-check SMS link')
    .requiredOption(accountOption, 'account id')
    .requiredOption('--token <token>', 'the last part of the link (…/<account>/<token>)')
    .requiredOption('--name <fullName>', 'full name as in the passport')
    .requiredOption('--passport <seriesAndNumber>', 'e.g. "4510 123456"')
    .action(run((s, o: { account: string; token: string; name: string; passport: string }) => s.client.confirmIdentity(o.account, { token: o.token, fullName: o.name, passport: o.passport })));

  program
    .command('lost')
    .description('LOST-1: the citizen has no access to the old number; the change waits for support')
    .requiredOption(accountOption, 'account id')
    .action(run((s, o: { account: string }) => s.client.reportOldNumberLost(o.account)));

  program
    .command('not-me')
    .description('SEC-3: "this wasn\'t me", with the token from the notice\'s link')
    .requiredOption(accountOption, 'account id')
    .requiredOption('--token <token>', 'the last part of the link (…/<account>/<token>)')
    .action(run((s, o: { account: string; token: string }) => s.client.rejectByOwner(o.account, o.token)));

  program
    .command('cancel')
    .description('the citizen cancels the open change')
    .requiredOption(accountOption, 'account id')
    .action(run((s, o: { account: string }) => s.client.cancel(o.account)));

  const support = program.command('support').description('support operators: changes waiting for a decision').hook('preAction', requireCredential);

  support
    .command('list')
    .description('changes waiting for support (lost number, frequent change)')
    .action(
      run(async (s) => {
        const waiting = await s.client.list('awaiting_support');
        const lines = await Promise.all(
          waiting.map(async (c) => {
            const st = await s.client.status(c.accountId);
            return `${c.accountId.padEnd(20)} request ${c.requestId}  ${st.support?.reason ?? ''}  since ${c.startTime.toISOString()}  new ${st.newPhoneMasked}`;
          }),
        );
        return lines.join('\n') || '(nothing waiting)';
      }),
    );

  support
    .command('show')
    .description('one change: status and the account history')
    .requiredOption(accountOption, 'account id')
    .action(run(async (s, o: { account: string }) => ({ status: await s.client.status(o.account), history: await s.client.history(o.account, { limit: 10 }) })));

  support
    .command('override')
    .description("LOST-2, FREQ-2: approve after proving the citizen's identity")
    .requiredOption(accountOption, 'account id')
    .addOption(credentialOption())
    .addOption(new Option('--method <method>', 'how identity was proved').choices([...overrideMethods]).makeOptionMandatory())
    .requiredOption('--evidence <ref>', 'reference to the evidence (case, document or recording id)')
    .requiredOption('--reason <text>', 'why the change is approved')
    .action(
      run((s, o: { account: string; credential: string; method: OverrideMethod; evidence: string; reason: string }) =>
        s.client.supportOverride(o.account, { credential: o.credential, method: o.method, evidenceRef: o.evidence, reason: o.reason }),
      ),
    );

  support
    .command('reject')
    .description('reject a change (e.g. the owner called: it was not them)')
    .requiredOption(accountOption, 'account id')
    .addOption(credentialOption())
    .requiredOption('--reason <text>', 'why')
    .action(run((s, o: { account: string; credential: string; reason: string }) => s.client.rejectBySupport(o.account, o.credential, o.reason)));

  support
    .command('find')
    .description("AFTER-3: the change a citizen's request id names")
    .requiredOption('--request-id <id>', 'the request id from the notice')
    .action(run(async (s, o: { requestId: string }) => (await s.client.findByRequestId(o.requestId)) ?? '(no change with that request id)'));

  support
    .command('revert')
    .description("DONE-4: restore the previous number after a change that was not the owner's doing (30 days)")
    .requiredOption(accountOption, 'account id')
    .requiredOption('--request-id <id>', 'the change to undo')
    .addOption(credentialOption())
    .requiredOption('--reason <text>', 'why')
    .action(run((s, o: { account: string; requestId: string; credential: string; reason: string }) => s.client.revert(o.account, o.requestId, o.credential, o.reason)));

  program
    .command('linked')
    .description('AFTER-1: which linked services have the new number')
    .requiredOption(accountOption, 'account id')
    .action(run((s, o: { account: string }) => s.client.linkedStatus(o.account)));

  const test = program.command('test-delivery').description('AFTER-2: check that codes arrive on the current number');
  test
    .command('start')
    .requiredOption(accountOption, 'account id')
    .action(run((s, o: { account: string }) => s.client.startTestDelivery(o.account)));
  test
    .command('confirm')
    .argument('<code>', 'the test code')
    .requiredOption(accountOption, 'account id')
    .action(run((s, code: string, o: { account: string }) => s.client.confirmTestDelivery(o.account, code)));
  test
    .command('result')
    .requiredOption(accountOption, 'account id')
    .action(run((s, o: { account: string }) => s.client.testDeliveryResult(o.account)));

  addRecoveryCommands(program, support, run);
  return program;
}

/** Parses the command line and prints a typed error with its field and details (exit code 2). */
export function runCli(program: Command): void {
  program.parseAsync().catch((err: unknown) => {
    if (err instanceof PhoneChangeError) {
      const field = err.field ? ` [${err.field}]` : '';
      console.error(`error: ${err.name}${field}: ${err.message}`);
      const extra = Object.fromEntries(Object.entries(err.details).filter(([k]) => k !== 'field'));
      if (Object.keys(extra).length) console.error(JSON.stringify(extra));
    } else {
      console.error(`error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
    process.exit(2);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runCli(buildProgram(openSession));
