/**
 * `npm run test:cluster`: the cluster stack (temporal-config/cluster) instead of the dev server.
 * Fault tests kill and restart its nodes through a control endpoint on loopback, since the nodes
 * are children of this process: POST /kill/<node> (SIGKILL), POST /start/<node>.
 *
 * The cluster never outlives the run: its folder and PIDs are recorded in .data/test-cluster.json,
 * teardown and SIGINT/SIGTERM kill them by PID; a detached reaper kills them when this process is
 * gone without having stopped them (vitest may exit on SIGINT before any hook runs, and SIGKILL
 * runs none), and the next run kills whatever is still left.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startCluster } from '../../temporal-config/cluster/cluster';
import { cleanUpLeftovers, forgetRun, killServersOf, processId, recordRun, startReaper } from '../../temporal-config/cluster/leftovers';
import { measureJetStreamApi, settleStreams } from '../../temporal-config/cluster/nats-cluster';
import { provideRun } from './global-setup';

const STATE_FILE = join(process.cwd(), '.data', 'test-cluster.json');
const log = (line: string) => console.log(`[cluster-setup] ${line}`);

/** Readers' JetStream timeout: 20 times the slowest of a few replicated consumer round trips measured now, within 15-60 s. */
const apiTimeout = (worstMs: number) => Math.min(60_000, Math.max(15_000, 20 * worstMs));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  cleanUpLeftovers(STATE_FILE, log);
  return provideRun(project, 'phone-change-cluster-', async (workDir, guard) => {
    // Recorded before anything starts: a run killed while starting leaves its folder named.
    const owner = processId();
    recordRun(STATE_FILE, { workDir, pids: {}, owner });
    startReaper(STATE_FILE);
    const cluster = await startCluster({ workDir, log, step: guard.step }).catch((err: unknown) => {
      // Its servers are stopped; its logs stay for the error to point at (the reaper would remove them).
      forgetRun(STATE_FILE);
      throw new Error(`${err instanceof Error ? err.message : String(err)} (server logs kept in ${workDir})`, { cause: err });
    });
    const record = () => recordRun(STATE_FILE, { workDir, pids: cluster.pids(), owner });
    record();
    log(`PIDs ${JSON.stringify(cluster.pids())}`);
    // Ready means every stream and bucket exists with all 3 replicas current, not just a meta leader:
    // a reader's first consumer on a stream still forming timed out.
    const t0 = Date.now();
    guard.step('streams and buckets: 3 current replicas each');
    await settleStreams(cluster.natsUrl, 3);
    guard.step('measuring replicated consumer round trips');
    const worst = await measureJetStreamApi(cluster.natsUrl, 3);
    const natsApiTimeoutMs = apiTimeout(worst);
    log(`streams and buckets settled in ${((Date.now() - t0) / 1000).toFixed(1)} s; slowest consumer round trip ${worst} ms, readers' JetStream timeout ${natsApiTimeoutMs / 1000} s`);
    project.provide('natsApiTimeoutMs', natsApiTimeoutMs);

    guard.step('control endpoint');
    const nodes = new Map([...cluster.temporal, ...cluster.nats].map((n) => [n.name, n]));
    const control = createServer((req, res) => {
      const [, action, name] = (req.url ?? '').split('/');
      const node = nodes.get(name ?? '');
      if (req.method !== 'POST' || !node || (action !== 'kill' && action !== 'start')) return void res.writeHead(404).end();
      const done = action === 'kill' ? Promise.resolve(node.kill()) : node.start().then(record);
      done.then(
        () => res.writeHead(204).end(),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    project.provide('clusterControl', `http://127.0.0.1:${(control.address() as AddressInfo).port}`);
    const killAll = () => killServersOf({ workDir, pids: cluster.pids() });
    return {
      temporalAddress: cluster.temporalAddress,
      natsUrl: cluster.natsUrl,
      natsReplicas: 3,
      kill: killAll,
      stop: async () => {
        control.close();
        try {
          await cluster.stop();
        } finally {
          const left = killAll();
          if (left.length) log(`killed ${left.length} server(s) that had not stopped (PIDs ${left.join(', ')})`);
          forgetRun(STATE_FILE);
        }
      },
    };
  });
}
