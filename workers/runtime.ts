/** Everything a worker process runs: adapters, the Temporal worker and the NATS bridges. */
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { payloadCodec, type Config } from './config';
import { openServices } from './services';
import { connectWorker, createPhoneChangeWorker } from './worker';
import { startBridges } from './bridges';

export interface WorkerRuntime {
  /** Runs until the worker is shut down (SIGINT/SIGTERM), then closes every connection. */
  run(): Promise<void>;
}

export async function startWorkerRuntime(config: Config, logger: Logger): Promise<WorkerRuntime> {
  const services = await openServices(config);
  const { address, namespace, apiKey, tls } = config.temporal;
  const clientConnection = await Connection.connect({ address, apiKey, tls: tls ? {} : undefined });
  const codec = payloadCodec(config);
  const client = new Client({ connection: clientConnection, namespace, dataConverter: { payloadCodecs: [codec] } });
  const connection = await connectWorker(config);
  const worker = await createPhoneChangeWorker({ connection, namespace, taskQueue: config.temporal.taskQueue, deps: services.deps, codec });
  const stopBridges = await startBridges({ nc: services.nc, client, deps: services.deps, logger, run: config.bridges });
  return {
    async run() {
      await worker.run();
      await stopBridges();
      await services.close();
      await Promise.all([connection.close(), clientConnection.close()]);
    },
  };
}
