/**
 * The cluster's last line of defence: a small detached process that watches the process that
 * started the cluster and, when it is gone without having stopped the cluster (its state file
 * still there), kills the recorded servers and removes their folder. It covers what no handler in
 * that process can: SIGKILL, and a test runner that exits on SIGINT before its hooks run. The
 * watched process's descendants (vitest's test workers, worker processes they spawned) would go on
 * against a dead cluster for minutes, or for good: those seen alive with it are killed too.
 * Usage: reaper.ts <watched pid> <state file>; it exits once the state file is gone.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cleanUpLeftovers } from './leftovers';

const [watched, stateFile] = [Number(process.argv[2]), process.argv[3]];
if (!Number.isInteger(watched) || !stateFile) {
  console.error('usage: reaper.ts <pid> <state file>');
  process.exit(2);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The descendants of `pid` now (Linux /proc): vitest's workers and the worker processes tests spawn. */
function descendantsOf(pid: number): number[] {
  const parent = new Map<number, number>();
  try {
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      try {
        parent.set(Number(e), Number(readFileSync(`/proc/${e}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return [];
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp !== p || child === process.pid) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

const cwdOf = (pid: number) => {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
};

const workers = new Map<number, string | undefined>();
const timer = setInterval(() => {
  if (!existsSync(stateFile)) return void clearInterval(timer); // stopped cleanly
  if (alive(watched)) {
    for (const c of descendantsOf(watched)) if (!workers.has(c)) workers.set(c, cwdOf(c));
    return;
  }
  clearInterval(timer);
  cleanUpLeftovers(stateFile, (line) => console.error(`[cluster-reaper] ${line}`));
  // Still the same process only if it still works where it did.
  for (const [pid, cwd] of workers) {
    if (alive(pid) && cwd && cwdOf(pid) === cwd) process.kill(pid, 'SIGKILL');
  }
}, 500);
