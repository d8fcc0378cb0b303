/** The worker process: `npm run worker`. Configuration from the environment (see README). */
import { loadConfig } from './config';
import { createLogger, installTemporalLogging } from './logger';
import { openServices } from './services';
import { connectWorker, createPhoneChangeWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  installTemporalLogging(logger, config.logLevel);
  if (config.codeKeyIsDevDefault) logger.warn('CODE_KEY not set: using the development key (never in production)');
  const services = await openServices(config);
  const connection = await connectWorker(config);
  const worker = await createPhoneChangeWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: services.deps,
  });
  logger.info({ taskQueue: config.temporal.taskQueue, temporal: config.temporal.address }, 'worker started');
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM; run() resolves afterwards.
  await worker.run();
  await services.close();
  await connection.close();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exit(1);
});
