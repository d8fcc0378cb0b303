/** Three nats-server nodes on loopback forming one JetStream cluster; each keeps its ports and store across restarts. */
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort, launch, stopChild, waitUntil } from '../stack';
import type { ClusterNode } from './node';

interface Ports {
  client: number;
  route: number;
  monitor: number;
}

export async function natsCluster(bin: string, dir: string, size = 3): Promise<ClusterNode[]> {
  const ports: Ports[] = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), route: await freePort(), monitor: await freePort() });
  const routes = ports.map((p) => `nats://127.0.0.1:${p.route}`).join(',');
  return ports.map((p, i) => {
    const name = `nats-${i + 1}`;
    const logFile = join(dir, `${name}.log`);
    const args = [
      '-a',
      '127.0.0.1',
      '-p',
      String(p.client),
      '-n',
      name,
      '-m',
      String(p.monitor),
      '--cluster_name',
      'phone-change',
      '--cluster',
      `nats://127.0.0.1:${p.route}`,
      '--routes',
      routes,
      '-js',
      '-sd',
      join(dir, name),
    ];
    let child: ReturnType<typeof launch> | undefined;
    return {
      name,
      address: `nats://127.0.0.1:${p.client}`,
      pid: () => child?.pid,
      async start() {
        child = launch(bin, args, logFile);
        // /healthz answers before the JetStream cluster has a meta leader (streams cannot be made
        // until it has); after a restart, /healthz then says whether the streams have recovered.
        await waitUntil(name, child, logFile, async () => (await hasMetaLeader(p.monitor)) && (await healthy(p.monitor)), 60_000);
      },
      kill: () => void child?.kill('SIGKILL'),
      stop: async () => (child ? stopChild(child) : undefined),
    };
  });
}

async function hasMetaLeader(monitorPort: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${monitorPort}/jsz`, { signal: AbortSignal.timeout(1000) });
  const jsz = (await res.json()) as { meta_cluster?: { leader?: string } };
  return Boolean(jsz.meta_cluster?.leader);
}

async function healthy(monitorPort: number): Promise<boolean> {
  return (await fetch(`http://127.0.0.1:${monitorPort}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
}

/** Which node leads a stream's replicas (fault tests kill it). */
export async function streamLeader(nodes: ClusterNode[], stream: string): Promise<ClusterNode | undefined> {
  const nc = await connect({ servers: nodes.map((n) => n.address) });
  try {
    const leader = (await (await jetstreamManager(nc)).streams.info(stream)).cluster?.leader;
    return nodes.find((n) => n.name === leader);
  } finally {
    await nc.close();
  }
}
