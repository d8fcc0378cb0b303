/**
 * The cluster's last line of defence: a small detached process that watches the process that
 * started the cluster and, when it is gone without having stopped the cluster (its state file
 * still there and still naming its folder), kills the recorded servers and removes their folder.
 * It covers what no handler in that process can: SIGKILL, and a runner that exits before its hooks
 * run. The watched process's descendants (vitest's test workers, worker processes they spawned)
 * would go on against a dead cluster for minutes, or for good: those seen alive with it are
 * killed too, each only if its start time proves it is still the process seen (PIDs wrap within
 * half an hour on this machine, and a new run in the same checkout works in the same folder).
 * It acts only for its own run: a state file naming another folder belongs to a newer run.
 * What it does goes to `<state file>.reaper.log` (its own output goes nowhere: it is detached).
 * Its run is the one the state file names when it starts (the folder is not on its command line:
 * whoever kills "every process naming the folder" would kill the reaper first).
 * Usage: reaper.ts <watched pid> <its start time> <state file>; it exits once it is done.
 */
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import { cleanUpLeftovers, procStat, readRun, stillRunning, type ProcessId } from './leftovers';

const [pid, start, stateFile] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const workDir = stateFile ? readRun(stateFile)?.workDir : undefined;
if (!Number.isInteger(pid) || !Number.isInteger(start) || !stateFile || !workDir) {
  console.error('usage: reaper.ts <pid> <start time> <state file> (which names a run)');
  process.exit(2);
}
const watched: ProcessId = { pid, start };
const say = (line: string) => appendFileSync(`${stateFile}.reaper.log`, `${new Date().toISOString()} [cluster-reaper ${process.pid}] ${line}\n`);

/** The descendants of `pid` now (Linux /proc): vitest's workers and the worker processes tests spawn. */
function descendantsOf(root: number): ProcessId[] {
  const stats = new Map<number, { ppid: number; start: number }>();
  for (const e of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    const stat = procStat(Number(e));
    if (stat) stats.set(Number(e), stat);
  }
  const found: ProcessId[] = [];
  const walk = (p: number) => {
    for (const [child, { ppid, start }] of stats) {
      if (ppid !== p || child === process.pid) continue;
      found.push({ pid: child, start });
      walk(child);
    }
  };
  walk(root);
  return found;
}

const ours = () => existsSync(stateFile) && readRun(stateFile)?.workDir === workDir;
const workers = new Map<number, ProcessId>();
const timer = setInterval(() => {
  if (!ours()) return void clearInterval(timer); // stopped cleanly (a newer run may own the file now)
  if (stillRunning(watched)) {
    const first = workers.size === 0;
    for (const c of descendantsOf(watched.pid)) if (!workers.has(c.pid)) workers.set(c.pid, c);
    if (first) say(`watching PID ${watched.pid} (${workers.size} processes under it) for ${workDir}`);
    return;
  }
  clearInterval(timer);
  say(`PID ${watched.pid} ended without stopping the cluster in ${workDir}: cleaning up`);
  try {
    cleanUpLeftovers(stateFile, say);
  } catch (err) {
    say(`left the state file alone: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const w of workers.values()) {
    if (!stillRunning(w)) continue;
    say(`killing PID ${w.pid}, started by it and still running`);
    try {
      process.kill(w.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}, 500);
