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
  return provideRun(project, 'phone-change-test-', async (workDir) => {
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
export async function provideRun(project: TestProject, prefix: string, start: (workDir: string) => Promise<RunServers>): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const run: { servers?: RunServers } = {};
  // Killed from outside (a CI timeout, Ctrl-C), even while the servers are starting: take them
  // down too, they run in process groups of their own and would not get the signal.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      run.servers?.kill();
      killLaunched();
      process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
    });
  }
  const workDir = mkdtempSync(join(tmpdir(), prefix));
  const [servers, bundle] = await Promise.all([start(workDir).then((s) => (run.servers = s)), bundleWorkflowCode({ ...workflowBundleOptions, logger: quietLogger })]);
  const workflowBundlePath = join(workDir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);
  project.provide('temporalAddress', servers.temporalAddress);
  project.provide('natsUrl', servers.natsUrl);
  if (servers.natsReplicas) project.provide('natsReplicas', servers.natsReplicas);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('workDir', workDir);
  console.log(`[global-setup] temporal ${servers.temporalAddress}, nats ${servers.natsUrl}, bundle ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return async () => {
    try {
      await servers.stop();
    } finally {
      // Whatever did not stop in time goes now.
      servers.kill();
      killLaunched();
      if (!process.env.KEEP_TEST_DIR) rmSync(workDir, { recursive: true, force: true });
    }
  };
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
