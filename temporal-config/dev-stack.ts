/**
 * `npm start`: the whole system on loopback with local defaults. Starts what the environment does
 * not point elsewhere (TEMPORAL_ADDRESS, NATS_URL, SMTP_URL): the Temporal dev server with a
 * persisted SQLite file, the project's search attributes and the Web UI; nats-server with JetStream
 * and a data folder; an SMTP server that keeps the mail; then the worker. Ctrl-C stops everything;
 * state under DATA_DIR (default .data/) survives a restart.
 */
import { join, resolve } from 'node:path';
import { loadConfig, payloadCodec } from '../workers/config';
import { createLogger, installTemporalLogging } from '../workers/logger';
import { startWorkerRuntime } from '../workers/runtime';
import { historyCacheSize, startNats, startTemporal, stopOnSignals, toolPaths, type RunningServer } from './stack';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { startCodecServer } from '../workers/codec-server';
import { ensureDevOperatorKeys } from './dev-operator-keys';
import { startApi } from '../client/api/main';
import { startOperatorServer, type OperatorServer } from './operator-server';

/** The local servers' ports; the variables exist for running two stacks at once (tests/integration/npm-start.test.ts). */
const port = (name: string, fallback: number): number => {
  const p = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`${name}: a port number, 1-65535`);
  return p;
};
const TEMPORAL_PORT = port('TEMPORAL_PORT', 7233);
const UI_PORT = port('TEMPORAL_UI_PORT', 8233);
const NATS_PORT = port('NATS_PORT', 4222);
const SMTP_PORT = port('SMTP_PORT', 2525);
const OPERATOR_PORT = port('OPERATOR_PORT', 9091);
const HISTORY_CACHE_SIZE = historyCacheSize();

function step(msg: string): void {
  console.log(`[start] ${msg}`);
}

async function main(): Promise<void> {
  let workerRuns = false;
  stopOnSignals(step, () => workerRuns);
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  // The console is for the banner and warnings; LOG_LEVEL=info shows the worker's routine logs.
  const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn', ...process.env };
  const servers: RunningServer[] = [];
  let smtp: SmtpSink | undefined;
  const tools = toolPaths();
  env.OPERATOR_JWT_PUBLIC_KEY_FILE ??= await ensureDevOperatorKeys(dataDir);
  const early = loadConfig(env);
  // SEC-4: the Web UI decodes payloads through the codec server; the local token authorises you
  // through the server's login page (a session cookie: the dev server's UI sends no custom header).
  const codecServer = await startCodecServer({
    codec: payloadCodec(early),
    tokens: early.codecServer.tokens,
    allowedOrigins: [`http://localhost:${UI_PORT}`, `http://127.0.0.1:${UI_PORT}`],
    port: early.codecServer.port,
  });
  // "localhost" like the UI's address: the session cookie is same-site only, and the token stays out of the UI's settings.
  const codecEndpoint = codecServer.url.replace('127.0.0.1', 'localhost');
  step(`codec server on ${codecServer.url} (the Web UI decrypts payloads through it)`);

  if (!process.env.TEMPORAL_ADDRESS) {
    step(`Temporal dev server on 127.0.0.1:${TEMPORAL_PORT}, Web UI on ${UI_PORT}, state in ${join(dataDir, 'temporal.db')}`);
    const t = await startTemporal({
      bin: tools.temporal,
      port: TEMPORAL_PORT,
      uiPort: UI_PORT,
      dbFile: join(dataDir, 'temporal.db'),
      logFile: join(dataDir, 'temporal.log'),
      codecEndpoint,
      historyCacheSize: HISTORY_CACHE_SIZE,
    });
    servers.push(t);
    env.TEMPORAL_ADDRESS = t.address;
  }
  if (!process.env.NATS_URL) {
    step(`nats-server with JetStream on 127.0.0.1:${NATS_PORT}, data in ${join(dataDir, 'nats')}`);
    const n = await startNats({ bin: tools.natsServer, port: NATS_PORT, storeDir: join(dataDir, 'nats'), logFile: join(dataDir, 'nats.log') });
    servers.push(n);
    env.NATS_URL = n.address;
  }
  if (!process.env.SMTP_URL) {
    step(`SMTP server on 127.0.0.1:${SMTP_PORT}, mail kept in ${join(dataDir, 'mail')}`);
    smtp = await startSmtpSink({ port: SMTP_PORT, dir: join(dataDir, 'mail') });
    env.SMTP_URL = smtp.url;
  }

  // SIG-1, SIG-2: a local mobile operator (CAMARA SIM Swap, Number Recycling) unless one is configured.
  let operator: OperatorServer | undefined;
  if (!process.env.OPERATOR_API_URL) {
    operator = await startOperatorServer({ port: OPERATOR_PORT, clientId: 'dev-portal', clientSecret: 'dev-operator-secret-local-only' });
    Object.assign(env, { OPERATOR_API_URL: operator.url, OPERATOR_API_CLIENT_ID: 'dev-portal', OPERATOR_API_CLIENT_SECRET: 'dev-operator-secret-local-only' });
    step(`mobile operator (CAMARA SIM Swap, Number Recycling) on ${operator.url}: npm run cli -- dev operator`);
  }

  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  installTemporalLogging(logger, config.logLevel, config.metricsAddress);
  step('bundling the workflow and starting the worker');
  const runtime = await startWorkerRuntime(config, logger);
  const running = runtime.run();
  workerRuns = true;
  // Issue 15: the HTTP API and the support console (API_PORT, 8080 by default).
  // REC-1, REC-2: the API seals passwords to the worker's public password key (it cannot open them).
  const api = await startApi({ ...env, DATA_DIR: dataDir, PASSWORD_PUBLIC_KEY: env.PASSWORD_PUBLIC_KEY ?? config.passwordPublicKey.toString('base64') });
  printBanner(Boolean(servers.length), dataDir, codecEndpoint);
  step(`HTTP API on ${api.url}/v1 (docs ${api.url}/v1/docs; token: npm run -s api:token), support console ${api.url}/console`);

  // The SDK stops the worker on SIGINT/SIGTERM; then the servers go, children last.
  await running;
  step('worker stopped; stopping the servers');
  await api.close();
  await smtp?.close();
  await operator?.close();
  await codecServer.close();
  await Promise.all(servers.map((s) => s.stop()));
  step('stopped');
}

function printBanner(ownServers: boolean, dataDir: string, codecEndpoint: string): void {
  const cli = 'npm run cli --';
  console.log(`
phone-change is running.${
    ownServers
      ? `
  Temporal Web UI   http://localhost:${UI_PORT}/namespaces/default/workflows`
      : ''
  }
  Decrypted in UI   sign in at ${codecEndpoint}/login with the codec token, then turn on
                    "Include cross-origin credentials" in the Web UI's codec server settings
  SMS outbox        ${cli} dev outbox
  Mail              ${cli} dev mail        (files in ${join(dataDir, 'mail')})
  Operator token    export OPERATOR_TOKEN=$(${cli.replace('--', '-s --')} dev operator-token --operator op-17 --account A --request-id R --action support:override)
                    (one action on one change, 5 min, spent once: mint it right before the action)

Walk through a change in a second terminal (README.md has the lost-number path too):
  ${cli} dev seed
  ${cli} start --account demo-anna --phone "+7 916 555-01-02"
  ${cli} dev outbox                                    # the identity-check link (and later the codes)
  ${cli} identity --account demo-anna --token <last part of the link> --name "Иванова Анна Сергеевна" --passport "4510 123456"
  ${cli} dev outbox                                    # the code sent to the old number
  ${cli} code 123456 --account demo-anna --step old    # use the code you read
  ${cli} dev outbox                                    # the code sent to the new number
  ${cli} code 654321 --account demo-anna --step new
  ${cli} status --account demo-anna
  ${cli} history --account demo-anna

Ctrl-C stops everything; state in ${dataDir} survives a restart.
`);
}

main().catch((err: unknown) => {
  console.error(`[start] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
