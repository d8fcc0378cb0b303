/**
 * Issue 12: workers start through temporal-config/allocator.sh, which preloads jemalloc when the
 * machine has it (under glibc's malloc the SDK core's native memory fragmented: RSS +70 % past the
 * cache bound with both JavaScript heaps flat). It must exec (same PID: signals reach the worker).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const probe = 'console.log(JSON.stringify({ pid: process.pid, preload: process.env.LD_PRELOAD ?? "", mapped: require("fs").readFileSync("/proc/self/maps", "utf8").includes("libjemalloc") }))';
const run = (env: NodeJS.ProcessEnv) => {
  const r = spawnSync('bash', ['temporal-config/allocator.sh', process.execPath, '-e', probe], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  return { out: JSON.parse(r.stdout) as { pid: number; preload: string; mapped: boolean }, stderr: r.stderr, pid: r.pid };
};
const hasJemalloc = (() => {
  try {
    return execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }).includes('libjemalloc.so.2 ');
  } catch {
    return false;
  }
})();

describe('the worker allocator (issue 12)', () => {
  it('preloads jemalloc into the very process it starts (exec: same PID), or says it is missing', () => {
    const r = run({});
    expect(r.out.pid).toBe(r.pid);
    if (hasJemalloc) {
      expect(r.out.preload).toMatch(/libjemalloc\.so\.2/);
      expect(r.out.mapped).toBe(true);
    } else {
      expect(r.out.mapped).toBe(false);
      expect(r.stderr).toContain('libjemalloc2 not installed');
    }
  });

  it('starts its command every time (a search of ldconfig that stopped early made it exit 141 now and then)', () => {
    const codes = Array.from({ length: 150 }, () => spawnSync('bash', ['temporal-config/allocator.sh', 'true']).status);
    expect(codes.filter((c) => c !== 0)).toEqual([]);
  });

  it('WORKER_ALLOCATOR=system keeps glibc malloc: nothing preloaded', () => {
    const r = run({ WORKER_ALLOCATOR: 'system' });
    expect(r.out.mapped).toBe(false);
    expect(r.out.preload).toBe('');
  });
});
