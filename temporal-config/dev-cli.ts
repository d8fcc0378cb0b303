/**
 * `npm run cli`: the client CLI (client/cli.ts) with the development stack's own commands under
 * `dev`: demo accounts, the SMS outbox, the received mail and operator credentials signed with the
 * local stand-in identity provider. They live here, with the stack they serve, so that the client
 * depends on nothing of the worker's or the stack's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Option, type Command } from 'commander';
import { jetstream } from '@nats-io/jetstream';
import { simpleParser } from 'mailparser';
import { accountOption, buildProgram, openSession, runCli, runner, type Session } from '../client/cli';
import { loadConfig } from '../workers/config';
import { loadClientConfig } from '../client/config';
import { operatorRoles, type OperatorRole } from '../workflows/phone-change.defs';
import { maskPhone } from '../workflows/domain/mask';
import { ensureNatsResources, STREAMS, SUBJECTS } from '../activities/adapters/nats/resources';
import { NatsContactRegistry } from '../activities/adapters/nats/registry';
import { readSubject } from '../activities/adapters/nats/publishers';
import type { SmsMessage } from '../activities/ports';
import { demoAccounts, demoRecoveryCodes, seedAccounts } from './demo-accounts';
import { mintDevOperatorToken } from './dev-operator-keys';
import { addOperatorDevCommands } from './dev-operator-cli';

/** The development stack's state (dev-stack.ts): the received mail and the operator key pair. */
const dataDir = () => process.env.DATA_DIR ?? '.data';

/** The client CLI plus `dev`; `open` and `print` injected as for buildProgram. */
export function buildDevProgram(open: () => Promise<Session>, print: (line: string) => void = console.log): Command {
  const program = buildProgram(open, print);
  addDevCommands(program.command('dev').description('development helpers for the local stack'), runner(open, print), print);
  return program;
}

function addDevCommands(dev: Command, run: ReturnType<typeof runner>, print: (line: string) => void): void {
  addOperatorDevCommands(dev, run, () => loadConfig().operatorApi?.baseUrl);
  dev
    .command('seed')
    .description('create the demo accounts')
    .action(
      run(async (s) => {
        // The back office's part: identity data and recovery codes are stored as hashes under the worker's keys.
        const worker = loadConfig();
        const res = await ensureNatsResources(s.nc, worker.nats.replicas);
        const made = await seedAccounts(new NatsContactRegistry(res.accounts, res.phoneIndex, res.requestIds), worker.proofKeys);
        return demoAccounts
          .map(({ account: a, identity: i }) => {
            const notes = [a.verified ? '' : 'UNVERIFIED', a.lastPhoneChangeAt ? 'changed <24 h ago' : ''].filter(Boolean).join(', ');
            return `${a.accountId.padEnd(16)} ${a.phone}  ${a.language}  ${i.fullName}, passport ${i.passport}${notes ? `  (${notes})` : ''}  ${made.includes(a.accountId) ? 'created' : 'exists'}`;
          })
          .concat(`backup recovery codes of every demo account (REC-3): ${demoRecoveryCodes.join(', ')}`)
          .join('\n');
      }),
    );

  dev
    .command('operator-token')
    .description("mint an operator credential for one action on one change, with the local stack's development key (never in production)")
    .requiredOption('--operator <id>', 'operator id (the JWT subject)')
    .option('--name <name>', 'operator name')
    .requiredOption(accountOption, 'the account the action is for')
    .requiredOption('--request-id <id>', 'the change the action is for (`status --account A` shows it)')
    .addOption(new Option('--action <action>', 'the one action it allows').choices([...operatorRoles]).makeOptionMandatory())
    .option('--expires-in <duration>', 'lifetime (the worker refuses more than OPERATOR_JWT_MAX_TTL, 10m by default)', '5m')
    .action(async (o: { operator: string; name?: string; account: string; requestId: string; action: OperatorRole; expiresIn: string }) => {
      print(await mintDevOperatorToken(dataDir(), o));
    });

  dev
    .command('outbox')
    .description('the SMS outbox: what the gateway would deliver (read the codes here)')
    .option('--phone <e164>', 'only messages to this number')
    .option('--limit <n>', 'latest messages to show', '10')
    .action(
      run(async (s, o: { phone?: string; limit: string }) => {
        const all = await readSubject<SmsMessage & { at: string }>(jetstream(s.nc), STREAMS.outbox.name, SUBJECTS.sms);
        const shown = all
          .map((m) => m.data)
          .filter((m) => !o.phone || m.to === o.phone)
          .slice(-Number(o.limit));
        return shown.map((m) => `${m.at}  to ${maskPhone(m.to)}  ${m.kind.padEnd(13)} ${m.text}`).join('\n') || '(empty)';
      }),
    );

  dev
    .command('mail')
    .description('mail received by the local SMTP server')
    .option('--dir <dir>', 'where the dev stack keeps mail (default: <DATA_DIR>/mail)')
    .option('--limit <n>', 'latest messages to show', '10')
    .action(async (o: { dir?: string; limit: string }) => {
      const dir = o.dir ?? join(dataDir(), 'mail');
      const files = readdirSync(dir)
        .filter((f) => f.endsWith('.eml'))
        .sort()
        .slice(-Number(o.limit));
      for (const f of files) {
        const m = await simpleParser(readFileSync(join(dir, f)));
        print(`--- ${f}\nTo: ${m.to && !Array.isArray(m.to) ? m.to.text : ''}\nSubject: ${m.subject}\n\n${(m.text ?? '').trimEnd()}\n`);
      }
      if (files.length === 0) print('(no mail)');
    });
}

/** REC-1, REC-2 on the local stack: the worker's public password key unless PASSWORD_PUBLIC_KEY is set (a public key; the client still holds no proof key). */
function openDevSession(): Promise<Session> {
  const config = loadClientConfig();
  return openSession({ ...config, passwordPublicKey: config.passwordPublicKey ?? loadConfig().passwordPublicKey });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runCli(buildDevProgram(openDevSession));
