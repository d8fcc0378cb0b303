/**
 * A cluster never outlives its run. Every server runs as the leader of a process group of its own
 * (stack.ts launch), so killing the group takes PostgreSQL's backends with the postmaster. A run
 * records its work folder and PIDs in a state file of the checkout (.data/, never another
 * clone's); a detached reaper (reaper.ts) kills them when the run's process is gone without having
 * stopped them, and the next run kills whatever is still left (the reaper killed too): the
 * recorded PIDs and any process whose command line names the recorded folder. A PID is only ever
 * acted on together with something that proves it is still the same process (its command line
 * naming the folder, or its start time): PIDs wrap within half an hour here (pid_max 32768).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RunRecord {
  workDir: string;
  /** name → PID of each server (PostgreSQL, Temporal and NATS nodes, the UI). */
  pids: Record<string, number | undefined>;
  /** The process that started the run (the test runner), with its start time. */
  owner?: ProcessId;
}

/** A PID with the process's start time (clock ticks after boot): the pair names one process for good. */
export interface ProcessId {
  pid: number;
  start: number;
}

/** Parent and start time of a running process (Linux /proc); undefined when it is gone. */
export function procStat(pid: number): { ppid: number; start: number } | undefined {
  try {
    // After "pid (comm) ": state ppid ... with starttime the 20th field; comm may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return { ppid: Number(fields[1]), start: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

export function processId(pid: number = process.pid): ProcessId {
  return { pid, start: procStat(pid)?.start ?? 0 };
}

/** The same process still runs (not another that got its PID since). */
export function stillRunning(id: ProcessId): boolean {
  const now = procStat(id.pid);
  return now !== undefined && now.start === id.start;
}

export function recordRun(stateFile: string, run: RunRecord): void {
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(run, null, 2));
}

export function forgetRun(stateFile: string): void {
  rmSync(stateFile, { force: true });
}

export function readRun(stateFile: string): RunRecord | undefined {
  try {
    const run = JSON.parse(readFileSync(stateFile, 'utf8')) as RunRecord;
    return typeof run.workDir === 'string' && run.workDir.length > 1 && run.pids && typeof run.pids === 'object' ? run : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Kills what the run recorded in `stateFile` left running and removes its folder; returns the PIDs
 * killed. Refuses while the run's owner still runs: that is another run in this checkout, alive.
 */
export function cleanUpLeftovers(stateFile: string, log: (line: string) => void = () => undefined): number[] {
  if (!existsSync(stateFile)) return [];
  const run = readRun(stateFile);
  if (!run) {
    forgetRun(stateFile);
    return [];
  }
  if (run.owner && run.owner.pid !== process.pid && stillRunning(run.owner)) {
    throw new Error(`another cluster run (PID ${run.owner.pid}) is still using this checkout (${stateFile}): wait for it or stop it`);
  }
  const killed = killServersOf(run);
  if (killed.length) log(`killed ${killed.length} server(s) left running by an earlier run (PIDs ${killed.join(', ')})`);
  rmSync(run.workDir, { recursive: true, force: true });
  forgetRun(stateFile);
  return killed;
}

/** SIGKILLs the process group of every recorded PID still running a server of `run.workDir`, and of any other process naming that folder. */
export function killServersOf(run: RunRecord): number[] {
  const pids = new Set(Object.values(run.pids).filter((p): p is number => typeof p === 'number'));
  for (const pid of processesNaming(run.workDir)) pids.add(pid);
  const killed: number[] = [];
  pids.delete(process.pid);
  for (const pid of pids) {
    // A recorded PID may have been reused by an unrelated process since: only one naming our folder.
    if (!commandLine(pid)?.includes(run.workDir)) continue;
    killGroup(pid);
    killed.push(pid);
  }
  return killed;
}

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

function processesNaming(workDir: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return []; // not Linux: the recorded PIDs only
  }
  return entries.filter((e) => /^\d+$/.test(e) && commandLine(Number(e))?.includes(workDir)).map(Number);
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/**
 * Starts reaper.ts, detached, for the run `stateFile` names now: when this process ends without
 * forgetting that run, the reaper kills what it records. It tells what it did in `<stateFile>.reaper.log`.
 */
export function startReaper(stateFile: string): void {
  const reaper = fileURLToPath(new URL('./reaper.ts', import.meta.url));
  const owner = processId();
  spawn(process.execPath, ['--import', 'tsx', reaper, String(owner.pid), String(owner.start), stateFile], { detached: true, stdio: 'ignore' }).unref();
}
