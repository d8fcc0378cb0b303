/** The worker as its own OS process (`workers/main.ts`), so a test can SIGKILL it or cut its servers. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { processEnv, type Harness } from './harness';

/** `script`: the worker's entry point (a test's own, e.g. one with a fault injected). */
export function spawnWorker(h: Pick<Harness, 'taskQueue' | 'smtp' | 'policy'>, name: string, extra: NodeJS.ProcessEnv = {}, script = 'workers/main.ts'): ChildProcess {
  const log = createWriteStream(join(inject('workDir'), `${name}.log`));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: processEnv(h, { JOURNAL_URL: 'https://portal.test/journal', REJECT_URL: 'https://portal.test/not-me', IDENTITY_URL: 'https://portal.test/identity', ...extra }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

/** Sends `signal` and resolves with the exit code (null when killed by a signal). */
export async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill(signal);
  return exited;
}

export interface CapturedWorker {
  child: ChildProcess;
  /** Everything the process printed so far, stdout and stderr in arrival order. */
  output(): string;
  /** SIGTERM (the worker drains) and waits for the exit; nothing when it has exited already. */
  stop(): Promise<void>;
}

/** `workers/main.ts` as its own process with its output kept in memory, for tests that search its logs (SEC-4, REC-1). */
export function spawnCapturedWorker(env: NodeJS.ProcessEnv): CapturedWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, stop: async () => void (await kill(child, 'SIGTERM')) };
}
