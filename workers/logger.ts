/**
 * Structured logs (pino). Code logs masked forms only; the redaction list is a second line of
 * defence should a raw field ever slip into a log call (SEC-4).
 */
import { pino, type Logger } from 'pino';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { prometheusTelemetry } from './metrics';

const REDACT = ['phone', 'newPhone', 'oldPhone', 'to', 'email', 'code', 'codeHash', 'token'].flatMap((k) => [k, `*.${k}`]);

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'phone-change' } }, destination as never);
}

const temporalLevels: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', silent: 'ERROR' };

/**
 * Routes the Temporal SDK's own logs (workflow `log`, activity and worker messages) into pino, and
 * serves the metrics on `metricsAddress` when given. Call once, before any connection.
 */
export function installTemporalLogging(logger: Logger, level: string, metricsAddress?: string): void {
  const sdkLevel = temporalLevels[level] ?? 'INFO';
  Runtime.install({
    ...(metricsAddress ? { telemetryOptions: prometheusTelemetry(metricsAddress) } : {}),
    logger: new DefaultLogger(sdkLevel, (entry) => {
      const lvl = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
      logger[lvl]({ ...(entry.meta ?? {}), source: 'temporal' }, entry.message);
    }),
  });
}
