/**
 * `npm run stack:cluster`: the system on the cluster stack (cluster/cluster.ts) instead of the dev
 * server: two Temporal nodes on PostgreSQL, the Web UI server, three NATS nodes with every stream
 * and bucket in 3 replicas, an SMTP server that keeps the mail, the codec server and the worker.
 * State under DATA_DIR (default .data-cluster/) survives a restart; Ctrl-C stops everything.
 */
import { join, resolve } from 'node:path';
import { loadConfig, payloadCodec } from '../workers/config';
import { createLogger, installTemporalLogging } from '../workers/logger';
import { startWorkerRuntime } from '../workers/runtime';
import { startCodecServer } from '../workers/codec-server';
import { freePort, stopOnSignals } from './stack';
import { startSmtpSink } from './smtp-sink';
import { ensureDevOperatorKeys } from './dev-operator-keys';
import { startCluster } from './cluster/cluster';

const REPLICAS = '3';

function step(msg: string): void {
  console.log(`[cluster] ${msg}`);
}

async function main(): Promise<void> {
  let workerRuns = false;
  stopOnSignals(step, () => workerRuns);
  const t0 = Date.now();
  const dataDir = resolve(process.env.DATA_DIR ?? '.data-cluster');
  const uiPort = await freePort();
  const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn', ...process.env, NATS_REPLICAS: REPLICAS };
  env.OPERATOR_JWT_PUBLIC_KEY_FILE ??= await ensureDevOperatorKeys(dataDir);
  env.CODEC_SERVER_ORIGINS ??= `http://localhost:${uiPort},http://127.0.0.1:${uiPort}`;
  env.CODEC_SERVER_PORT ??= String(await freePort());
  env.METRICS_ADDRESS ??= `127.0.0.1:${await freePort()}`;
  env.WORKER_HEALTH_PORT ??= String(await freePort());
  const early = loadConfig(env);
  const codecServer = await startCodecServer({ codec: payloadCodec(early), tokens: early.codecServer.tokens, allowedOrigins: early.codecServer.origins, port: early.codecServer.port });
  const codecEndpoint = codecServer.url.replace('127.0.0.1', 'localhost');
  const cluster = await startCluster({ workDir: join(dataDir, 'servers'), ui: { port: uiPort, codecEndpoint }, log: step });
  const smtp = await startSmtpSink({ port: await freePort(), dir: join(dataDir, 'mail') });
  Object.assign(env, { TEMPORAL_ADDRESS: cluster.temporalAddress, NATS_URL: cluster.natsUrl, SMTP_URL: smtp.url });

  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  installTemporalLogging(logger, config.logLevel, config.metricsAddress);
  const runtime = await startWorkerRuntime(config, logger);
  const running = runtime.run();
  workerRuns = true;
  console.log(`
phone-change is running on the cluster stack (up in ${((Date.now() - t0) / 1000).toFixed(1)} s).
  Temporal          ${cluster.temporalAddress} (proxy) -> ${cluster.temporal.map((n) => n.address).join(', ')}
  Temporal Web UI   ${cluster.uiUrl}/namespaces/default/workflows
  Codec server      ${codecEndpoint} (sign in at /login with the codec token)
  NATS              ${cluster.natsUrl} (NATS_REPLICAS=${REPLICAS})
  SMTP              ${smtp.url}, mail in ${join(dataDir, 'mail')}
  Worker metrics    http://${config.metricsAddress}/metrics (Prometheus; README "Metrics and alerts")
  Worker health     http://127.0.0.1:${config.healthPort}/healthz, /readyz
  PIDs              ${Object.entries(cluster.pids())
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}
For the CLI in another terminal:
  export TEMPORAL_ADDRESS=${cluster.temporalAddress} NATS_URL=${cluster.natsUrl} NATS_REPLICAS=${REPLICAS}
Ctrl-C stops everything; state in ${dataDir} survives a restart.
`);
  await running;
  step('worker stopped; stopping the servers');
  await smtp.close();
  await codecServer.close();
  await cluster.stop();
  step('stopped');
}

main().catch((err: unknown) => {
  console.error(`[cluster] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
