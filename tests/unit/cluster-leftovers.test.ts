/**
 * The test runs' safety nets, with real processes and no cluster: the set-up guard that says where
 * a set-up died (tests/support/run-guard.ts), and the cluster's leftovers and reaper
 * (temporal-config/cluster/leftovers.ts, reaper.ts). Each "server" here is a node process whose
 * command line names the run's folder, as PostgreSQL's and nats-server's do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { cleanUpLeftovers, processId, recordRun, stillRunning } from '../../temporal-config/cluster/leftovers';

const spawned: ChildProcess[] = [];
const folders: string[] = [];
afterEach(() => {
  for (const c of spawned.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

/** A process that waits; `args` go on its command line. */
function waiter(...args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', ...args], { stdio: 'ignore' });
  spawned.push(child);
  return child;
}

const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));
const gone = (pid: number) => !stillRunning({ pid, start: processId(pid).start });

function runFolder(): { dir: string; workDir: string; stateFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'leftovers-test-'));
  folders.push(dir);
  const workDir = join(dir, 'phone-change-cluster-run');
  mkdirSync(workDir);
  return { dir, workDir, stateFile: join(dir, 'test-cluster.json') };
}

/** The guard's stand-in set-up, run as its own process; resolves with its exit code and stderr. */
async function fixture(mode: string, signal?: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/run-guard-fixture.ts', mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  if (signal) {
    await vi.waitFor(() => expect(stdout).toContain('waiting'), { timeout: 30_000, interval: 50 });
    child.kill(signal);
  }
  return { code: await done, stderr };
}

describe('a global set-up that dies says where (the cluster suite once ended in silence)', () => {
  it('a SIGTERM during set-up names the signal and the step, takes the servers down and exits 143, even behind a handler that exits in silence as vitest’s does', async () => {
    const { code, stderr } = await fixture('vitest-like', 'SIGTERM');
    expect(code).toBe(143);
    expect(stderr).toContain('SIGTERM received during set-up, step "installing the Temporal schema"');
    expect(stderr).toContain('[fixture] servers killed');
  });

  it('a SIGHUP names itself too and exits 129', async () => {
    const { code, stderr } = await fixture('wait', 'SIGHUP');
    expect(code).toBe(129);
    expect(stderr).toContain('SIGHUP received during set-up');
  });

  it('a set-up whose event loop runs dry exits 1, not 0, naming the step', async () => {
    const { code, stderr } = await fixture('drain');
    expect(code).toBe(1);
    expect(stderr).toContain('exiting with code 0 during set-up, step "installing the Temporal schema"');
    expect(stderr).toContain('exit code set to 1');
  });

  it('after teardown the guard says nothing and the exit code stays 0', async () => {
    expect(await fixture('done')).toEqual({ code: 0, stderr: '' });
  });
});

describe("the cluster's leftovers (a stale .data/test-cluster.json)", () => {
  it('kills only the processes naming the recorded folder: a recorded PID now held by an unrelated process is left alone', async () => {
    const { workDir, stateFile } = runFolder();
    const server = waiter(join(workDir, 'nats'));
    const unrelated = waiter('unrelated');
    const deadOwner = waiter();
    const owner = processId(deadOwner.pid!);
    deadOwner.kill('SIGKILL');
    await exited(deadOwner);
    recordRun(stateFile, { workDir, pids: { postgres: unrelated.pid, 'nats-1': server.pid }, owner });
    const killed = cleanUpLeftovers(stateFile);
    expect(killed).toEqual([server.pid]);
    await exited(server);
    expect(server.signalCode).toBe('SIGKILL');
    expect(gone(unrelated.pid!)).toBe(false);
    expect(existsSync(workDir)).toBe(false);
    expect(existsSync(stateFile)).toBe(false);
  });

  it('refuses while the recorded run’s owner still runs (another cluster run in this checkout), touching nothing', () => {
    const { workDir, stateFile } = runFolder();
    const server = waiter(workDir);
    const liveOwner = waiter();
    recordRun(stateFile, { workDir, pids: { 'nats-1': server.pid }, owner: processId(liveOwner.pid!) });
    expect(() => cleanUpLeftovers(stateFile)).toThrow(`another cluster run (PID ${liveOwner.pid}) is still using this checkout`);
    expect(gone(server.pid!)).toBe(false);
    expect(existsSync(stateFile)).toBe(true);
  });

  it('a state file naming no folder is dropped without killing anything', () => {
    const { stateFile } = runFolder();
    const bystander = waiter();
    writeFileSync(stateFile, JSON.stringify({ workDir: '', pids: { postgres: bystander.pid } }));
    expect(cleanUpLeftovers(stateFile)).toEqual([]);
    expect(existsSync(stateFile)).toBe(false);
    expect(gone(bystander.pid!)).toBe(false);
  });
});

describe("the cluster's reaper", () => {
  function reaper(owner: ChildProcess, stateFile: string): ChildProcess {
    const id = processId(owner.pid!);
    const child = spawn(process.execPath, ['--import', 'tsx', 'temporal-config/cluster/reaper.ts', String(id.pid), String(id.start), stateFile], { stdio: 'ignore' });
    spawned.push(child);
    return child;
  }

  it('when its run ends without stopping the cluster, kills the servers and what the runner started, removes the folder and says so in its log', async () => {
    const { workDir, stateFile } = runFolder();
    const server = waiter(join(workDir, 'postgres'));
    // The runner with a test worker of its own (a grandchild of this test).
    const runner = spawn(
      process.execPath,
      ['-e', `require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log('started'); setInterval(() => {}, 1000)`],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    spawned.push(runner);
    await new Promise((r) => runner.stdout?.once('data', r));
    recordRun(stateFile, { workDir, pids: { postgres: server.pid }, owner: processId(runner.pid!) });
    const r = reaper(runner, stateFile);
    const worker = await vi.waitFor(
      () => {
        const w = readFileSync(`/proc/${runner.pid}/task/${runner.pid}/children`, 'utf8').trim();
        expect(w).not.toBe('');
        return Number(w.split(' ')[0]);
      },
      { timeout: 10_000, interval: 50 },
    );
    // Its first look at the runner's processes (it records the worker then).
    await vi.waitFor(() => expect(readFileSync(`${stateFile}.reaper.log`, 'utf8')).toContain(`watching PID ${runner.pid}`), { timeout: 30_000, interval: 100 });
    runner.kill('SIGKILL');
    await exited(server);
    await vi.waitFor(() => expect(gone(worker)).toBe(true), { timeout: 10_000, interval: 100 });
    await exited(r);
    expect(existsSync(workDir)).toBe(false);
    expect(existsSync(stateFile)).toBe(false);
    const log = readFileSync(`${stateFile}.reaper.log`, 'utf8');
    expect(log).toContain(`PID ${runner.pid} ended without stopping the cluster in ${workDir}`);
    expect(log).toContain(`killing PID ${worker}`);
  });

  it('leaves a state file that a newer run has taken over (another folder) and exits; its command line never names the folder', async () => {
    const { workDir, stateFile } = runFolder();
    const owner = waiter();
    recordRun(stateFile, { workDir, pids: {}, owner: processId(owner.pid!) });
    const r = reaper(owner, stateFile);
    await vi.waitFor(() => expect(readFileSync(`${stateFile}.reaper.log`, 'utf8')).toContain(`watching PID ${owner.pid}`), { timeout: 30_000, interval: 100 });
    // startCluster kills every process naming its folder before it starts: the reaper must not be one.
    expect(readFileSync(`/proc/${r.pid}/cmdline`, 'utf8')).not.toContain(workDir);
    const newer = join(workDir, '..', 'phone-change-cluster-newer');
    mkdirSync(newer);
    const newerServer = waiter(newer);
    recordRun(stateFile, { workDir: newer, pids: { postgres: newerServer.pid } });
    owner.kill('SIGKILL');
    await exited(r);
    expect(gone(newerServer.pid!)).toBe(false);
    expect(existsSync(stateFile)).toBe(true);
    expect(existsSync(newer)).toBe(true);
  });
});
