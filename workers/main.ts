/** The worker process: `npm run worker`. Configuration from the environment (see README). */
import { loadConfig } from './config';
import { createLogger, installTemporalLogging } from './logger';
import { startWorkerRuntime } from './runtime';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  installTemporalLogging(logger, config.logLevel, config.metricsAddress);
  if (config.proofKeysAreDevDefault) logger.warn('PROOF_MASTER_KEY not set: using the development key (never in production)');
  const runtime = await startWorkerRuntime(config, logger);
  logger.info({ taskQueue: config.temporal.taskQueue, temporal: config.temporal.address, metrics: config.metricsAddress }, 'worker started');
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM; run() resolves afterwards.
  const code = await runtime.run();
  logger.info({ code }, 'worker stopped');
  process.exit(code);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exit(1);
});
