/** Everything a worker process runs: adapters, the Temporal worker, the NATS bridges and the health endpoint. */
import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import { payloadCodec, type Config } from './config';
import { openServices } from './services';
import { connectWorker, createPhoneChangeWorker } from './worker';
import { startBridges } from './bridges';
import { natsConnectivity, startHealthServer } from './health';
import { instrumentDeps } from './metrics';
import { startRecyclingServices } from './operator-feed';

export interface WorkerRuntime {
  /** Runs until the worker is shut down (SIGINT/SIGTERM, or NATS lost for good), then closes every connection; resolves with the exit code. */
  run(): Promise<number>;
}

export async function startWorkerRuntime(config: Config, logger: Logger): Promise<WorkerRuntime> {
  const services = await openServices(config);
  // The runtime is installed by now (installTemporalLogging): its meter feeds METRICS_ADDRESS, or nothing.
  const deps = instrumentDeps(services.deps, Runtime.instance().metricMeter);
  const { address, namespace, apiKey, tls } = config.temporal;
  const clientConnection = await Connection.connect({ address, apiKey, tls: tls ? {} : undefined });
  const codec = payloadCodec(config);
  const client = new Client({ connection: clientConnection, namespace, dataConverter: { payloadCodecs: [codec] } });
  const connection = await connectWorker(config);
  const worker = await createPhoneChangeWorker({ connection, namespace, taskQueue: config.temporal.taskQueue, deps, codec, config: config.worker });
  const stopBridges = await startBridges({ nc: services.nc, client, deps, logger, run: config.bridges, linkedAckBatchMs: config.linkedAckBatchMs });
  // SIG-2: the operator's feed of reassigned numbers and the scheduled sweep (with an operator API only).
  const stopRecycling = await startRecyclingServices({ nc: services.nc, client, taskQueue: config.temporal.taskQueue, logger, every: config.operatorApi?.sweep.every });
  const natsUp = natsConnectivity(services.nc, (up) => (up ? logger.info('NATS connection back') : logger.warn('NATS connection lost; reconnecting')));
  const health = config.healthPort === undefined ? undefined : await startHealthServer(config.healthPort, { temporal: () => worker.getState(), nats: natsUp });
  if (health) logger.info({ port: health.port }, 'health endpoint: /healthz, /readyz');

  let stopping = false;
  let natsLost = false;
  // Reconnects are unlimited, so a close we did not ask for is final (credentials refused, say):
  // stop and exit non-zero, and let the supervisor start a fresh process.
  void services.nc.closed().then((err) => {
    if (stopping) return;
    natsLost = true;
    logger.error({ err: err instanceof Error ? err.message : undefined }, 'NATS connection closed for good; stopping the worker');
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  return {
    async run() {
      await worker.run();
      stopping = true;
      await stopBridges();
      await stopRecycling();
      await services.close();
      await Promise.all([connection.close(), clientConnection.close(), health?.close()]);
      return natsLost ? 1 : 0;
    },
  };
}
