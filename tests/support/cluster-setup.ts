/**
 * `npm run test:cluster`: the cluster stack (temporal-config/cluster) instead of the dev server.
 * Fault tests kill and restart its nodes through a control endpoint on loopback, since the nodes
 * are children of this process: POST /kill/<node> (SIGKILL), POST /start/<node>.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { startCluster } from '../../temporal-config/cluster/cluster';
import { provideRun } from './global-setup';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  return provideRun(project, 'phone-change-cluster-', async (workDir) => {
    const cluster = await startCluster({ workDir, log: (line) => console.log(`[cluster-setup] ${line}`) });
    console.log(`[cluster-setup] PIDs ${JSON.stringify(cluster.pids())}`);
    const nodes = new Map([...cluster.temporal, ...cluster.nats].map((n) => [n.name, n]));
    const control = createServer((req, res) => {
      const [, action, name] = (req.url ?? '').split('/');
      const node = nodes.get(name ?? '');
      if (req.method !== 'POST' || !node || (action !== 'kill' && action !== 'start')) return void res.writeHead(404).end();
      const done = action === 'kill' ? Promise.resolve(node.kill()) : node.start();
      done.then(
        () => res.writeHead(204).end(),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    project.provide('clusterControl', `http://127.0.0.1:${(control.address() as AddressInfo).port}`);
    return {
      temporalAddress: cluster.temporalAddress,
      natsUrl: cluster.natsUrl,
      natsReplicas: 3,
      kill: () => [...nodes.values()].forEach((n) => n.kill()),
      stop: async () => {
        control.close();
        await cluster.stop();
      },
    };
  });
}
