/**
 * Starts one Temporal dev server (in memory) and one nats-server for the whole run on free
 * loopback ports, and bundles the workflows once; test files attach to them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorkflowCode } from '@temporalio/worker';
import { killLaunched, startNats, startTemporal, toolPaths } from '../../temporal-config/stack';
import { workflowBundleOptions } from '../../workers/worker';
import { guardRun, type RunGuard } from './run-guard';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** One URL, or the comma-separated URLs of a cluster. */
    natsUrl: string;
    /** NATS_REPLICAS of the run's workers (1 when not provided). */
    natsReplicas?: number;
    /** The JetStream API timeout for test readers (5 s, the client's default, when not provided): the cluster run measures it. */
    natsApiTimeoutMs?: number;
    workflowBundlePath: string;
    workDir: string;
    /** The cluster run's control endpoint (tests/support/cluster-setup.ts); absent on the dev server. */
    clusterControl?: string;
  }
}

export interface RunServers {
  temporalAddress: string;
  natsUrl: string;
  natsReplicas?: number;
  /** SIGKILLs every server at once (the run was killed from outside). */
  kill(): void;
  stop(): Promise<void>;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tools = toolPaths();
  return provideRun(project, 'phone-change-test-', async (workDir, guard) => {
    guard.step('starting the Temporal dev server and nats-server');
    const [temporal, nats] = await Promise.all([
      startTemporal({ bin: tools.temporal, logFile: join(workDir, 'temporal.log') }),
      startNats({ bin: tools.natsServer, storeDir: join(workDir, 'nats'), logFile: join(workDir, 'nats.log') }),
    ]);
    return {
      temporalAddress: temporal.address,
      natsUrl: nats.address,
      kill: () => [temporal, nats].forEach((s) => s.process.kill('SIGKILL')),
      stop: async () => void (await Promise.all([temporal.stop(), nats.stop()])),
    };
  });
}

/** Starts the servers in a fresh work folder while bundling the workflows, and provides both to test files. */
export async function provideRun(project: TestProject, prefix: string, start: (workDir: string, guard: RunGuard) => Promise<RunServers>): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const run: { servers?: RunServers } = {};
  const tag = prefix.includes('cluster') ? 'cluster-setup' : 'global-setup';
  // Killed from outside (a CI timeout, Ctrl-C), even while the servers are starting: take them
  // down too, they run in process groups of their own and would not get the signal. Any end of
  // this process before the tests are done names the step it was at (run-guard.ts).
  const guard = guardRun(tag, () => {
    run.servers?.kill();
    killLaunched();
  });
  const workDir = mkdtempSync(join(tmpdir(), prefix));
  let servers: RunServers;
  try {
    const bundled = bundleWorkflowCode({ ...workflowBundleOptions, logger: quietLogger });
    bundled.catch(() => undefined); // reported below, after the servers' own failure if both fail
    servers = run.servers = await start(workDir, guard);
    guard.step('bundling the workflows');
    const bundle = await bundled;
    const workflowBundlePath = join(workDir, 'workflow-bundle.js');
    writeFileSync(workflowBundlePath, bundle.code);
    project.provide('workflowBundlePath', workflowBundlePath);
  } catch (err) {
    const where = guard.where();
    run.servers?.kill();
    killLaunched();
    throw new Error(`[${tag}] set-up failed ${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  project.provide('temporalAddress', servers.temporalAddress);
  project.provide('natsUrl', servers.natsUrl);
  if (servers.natsReplicas) project.provide('natsReplicas', servers.natsReplicas);
  project.provide('workDir', workDir);
  console.log(`[${tag}] temporal ${servers.temporalAddress}, nats ${servers.natsUrl}, bundle ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  guard.ready();
  return async () => {
    guard.teardown();
    try {
      await servers.stop();
    } finally {
      // Whatever did not stop in time goes now.
      servers.kill();
      killLaunched();
      if (!process.env.KEEP_TEST_DIR) rmSync(workDir, { recursive: true, force: true });
      guard.done();
    }
  };
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
