/**
 * `npm start` and Ctrl-C: the dev stack (temporal-config/dev-stack.ts, run as `npm start` runs it)
 * on free ports, signalled as a terminal does it (SIGINT to its process group). Nothing it started
 * may outlive it, whenever the Ctrl-C comes: the servers run in process groups of their own and
 * would otherwise keep their ports, and the next `npm start` would fail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../temporal-config/stack';

const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-test-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, 'SIGKILL');
  for (const pid of namingDataDir()) process.kill(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every process whose command line names the data folder: the Temporal dev server (its SQLite file), nats-server (its store). */
function namingDataDir(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(dataDir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Same ports every time, as a developer's `npm start` has. */
const ports = Promise.all(['TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'NATS_PORT', 'SMTP_PORT', 'OPERATOR_PORT', 'API_PORT', 'CODEC_SERVER_PORT'].map(async (k) => [k, String(await freePort())] as const));

async function npmStart(until = '[start] HTTP API on'): Promise<{ child: ChildProcess; out: () => string; exit: Promise<number | null> }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(await ports), DATA_DIR: dataDir };
  for (const k of ['TEMPORAL_ADDRESS', 'NATS_URL', 'SMTP_URL', 'OPERATOR_API_URL', 'METRICS_ADDRESS', 'WORKER_HEALTH_PORT']) delete env[k];
  // `npm start` without npm and its ensure step; a process group of its own, like a terminal's job.
  const child = spawn('bash', ['temporal-config/allocator.sh', process.execPath, '--import', 'tsx', 'temporal-config/dev-stack.ts'], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await vi.waitFor(() => expect(out).toContain(until), { timeout: 150_000, interval: 20 });
  expect(namingDataDir().length).toBeGreaterThanOrEqual(2);
  return { child, out: () => out, exit };
}

/** Ctrl-C in the terminal: SIGINT to the whole foreground group (the servers are not in it). */
const ctrlC = (child: ChildProcess) => process.kill(-child.pid!, 'SIGINT');

describe('npm start and Ctrl-C', () => {
  it('a second Ctrl-C while it stops ends it at once and kills its servers; the next npm start on the same ports and data works, and one Ctrl-C stops it cleanly', { timeout: 400_000 }, async () => {
    const first = await npmStart();
    ctrlC(first.child);
    await vi.waitFor(() => expect(first.out()).toContain('[start] stopping: the worker finishes its tasks'), { timeout: 30_000, interval: 20 });
    ctrlC(first.child);
    expect(await first.exit).toBe(130);
    expect(first.out()).toContain('[start] SIGINT again: stopping at once, the servers are killed');
    await vi.waitFor(() => expect(namingDataDir()).toEqual([]), { timeout: 15_000, interval: 100 });

    const second = await npmStart();
    ctrlC(second.child);
    expect(await second.exit).toBe(0);
    expect(second.out()).toContain('[start] stopped');
    await vi.waitFor(() => expect(namingDataDir()).toEqual([]), { timeout: 15_000, interval: 100 });
  });

  it('a Ctrl-C while it starts (bundling the workflow, the event loop busy) ends it and kills the servers it had started', { timeout: 300_000 }, async () => {
    const early = await npmStart('[start] bundling the workflow');
    ctrlC(early.child);
    expect(await early.exit).toBe(130);
    expect(early.out()).toContain('[start] SIGINT: stopping at once, the servers are killed');
    await vi.waitFor(() => expect(namingDataDir()).toEqual([]), { timeout: 15_000, interval: 100 });
  });
});
