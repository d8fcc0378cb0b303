/** The codec server as its own process: `npm run codec-server` (configuration as for the worker). */
import { loadConfig, ConfigError, payloadCodec } from './config';
import { createLogger } from './logger';
import { startCodecServer } from './codec-server';

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.production && config.codecServer.tokensAreDevDefault) throw new ConfigError('invalid configuration:\n  CODEC_SERVER_TOKENS: required in production');
  const logger = createLogger(config.logLevel);
  const server = await startCodecServer({
    codec: payloadCodec(config, 'codec-server'),
    tokens: config.codecServer.tokens,
    allowedOrigins: config.codecServer.origins,
    port: config.codecServer.port,
    secureCookie: config.production,
  });
  logger.info({ url: server.url, origins: config.codecServer.origins }, 'codec server listening');
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exit(1);
});
