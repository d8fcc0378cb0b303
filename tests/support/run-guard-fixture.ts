/**
 * A stand-in for a global set-up, run as a process of its own by tests/unit/cluster-leftovers.test.ts.
 * Modes: `wait` (set-up in progress until a signal; `vitest-like` first registers a handler that
 * exits in silence, as vitest's own does), `drain` (set-up with nothing left to wait for), `done`.
 */
import { guardRun } from './run-guard';

const mode = process.argv[2];
if (mode === 'vitest-like') {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit());
}
const guard = guardRun('fixture', () => console.error('[fixture] servers killed'));
guard.step('installing the Temporal schema');
if (mode === 'done') {
  guard.ready();
  guard.teardown();
  guard.done();
} else if (mode !== 'drain') {
  setInterval(() => undefined, 1000);
  console.log('waiting');
}
