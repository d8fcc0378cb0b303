/**
 * Every test process installs the Temporal runtime here (vitest `setupFiles`), before any test
 * code: the SDK's logs and the core's own (worker state changes, polling) print only at WARN and
 * above, one line each, so a passing run shows its tests and the few warnings that mean something.
 * Tests provoke business failures on purpose; the SDK warns of each with its whole stack and
 * metadata, which would bury the test names. The runtime is a process-wide singleton: no test
 * installs another.
 */
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';

/** `[WARN] Activity failed: verifyOperator OperatorCredentialError: forged` */
export function oneLine(entry: LogEntry): string {
  const meta = (entry.meta ?? {}) as Record<string, unknown>;
  const what = meta.activityType ?? meta.workflowType ?? meta.target ?? '';
  const err = meta.error ?? meta.failure;
  const why = err instanceof Error ? ` ${(err as { type?: string }).type ?? err.name}: ${err.message}` : '';
  return `[${entry.level}] ${entry.message}: ${String(what)}${why}`.replace(/: $/, '');
}

Runtime.install({
  logger: new DefaultLogger('WARN', (entry) => process.stderr.write(`${oneLine(entry)}\n`)),
  telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
});
