/**
 * Says where a test run's global set-up died, and never lets it die with exit code 0.
 *
 * Why: a cluster run once ended during set-up without a word (README "Beyond one machine", "When
 * the cluster suite dies"). A set-up stopped by a signal is silent twice over: vitest's own
 * SIGINT/SIGTERM handler exits at once without printing anything (and, registered before ours, ran
 * first, so our handler never ran), and `npm run` prints nothing for a script that failed. From
 * guardRun() on, a signal, an exit from anywhere and an event loop left with nothing to wait for
 * each print the phase and the step on stderr; the exit code is 128+n for a signal and never 0
 * before the tests have finished.
 */
import { writeSync } from 'node:fs';

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

type Phase = 'set-up' | 'tests' | 'teardown' | 'done';

export interface RunGuard {
  /** Names what set-up does now: a failure, a signal or an exit reports it. */
  step(name: string): void;
  /** Set-up is done; the tests run. */
  ready(): void;
  teardown(): void;
  /** Torn down: from now on exiting is expected. */
  done(): void;
  /** Where the run is, as the messages say it. */
  where(): string;
}

/** `tag` prefixes every line; `onSignal` takes the servers down before the process exits. */
export function guardRun(tag: string, onSignal: () => void): RunGuard {
  const t0 = Date.now();
  let phase: Phase = 'set-up';
  let current = 'starting';
  const where = () => {
    if (phase === 'set-up') return `during set-up, step "${current}" (${((Date.now() - t0) / 1000).toFixed(1)} s in)`;
    return phase === 'tests' ? 'while the tests ran' : `during ${phase}`;
  };
  // Synchronous: these lines are written from 'exit' listeners and just before process.exit().
  const say = (line: string) => {
    try {
      writeSync(2, `[${tag}] ${line}\n`);
    } catch {
      // stderr closed: nothing left to tell
    }
  };
  for (const [signal, n] of Object.entries(SIGNALS) as [keyof typeof SIGNALS, number][]) {
    // First in line: vitest's handler would exit before this one ran, and in silence.
    process.prependListener(signal, () => {
      say(`${signal} received ${where()}; it came from outside this run (a Ctrl-C, a timeout, a kill): stopping the servers, exit code ${128 + n}`);
      phase = 'done'; // said already
      onSignal();
      process.exit(128 + n);
    });
  }
  process.on('exit', (code) => {
    if (phase === 'done') return;
    const unfinished = phase === 'set-up' || phase === 'tests';
    say(`the process is exiting with code ${code} ${where()}${unfinished && !code ? ' (nothing left to wait for, or an exit(0) from somewhere): exit code set to 1' : ''}`);
    if (unfinished && !code) process.exitCode = 1;
  });
  return {
    step: (name) => void (current = name),
    ready: () => void (phase = 'tests'),
    teardown: () => void (phase = 'teardown'),
    done: () => void (phase = 'done'),
    where,
  };
}
