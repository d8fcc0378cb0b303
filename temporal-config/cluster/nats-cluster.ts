/** Three nats-server nodes on loopback forming one JetStream cluster; each keeps its ports and store across restarts. */
import { join } from 'node:path';
import { connect, nanos } from '@nats-io/transport-node';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { BUCKETS, ensureNatsResources, STREAMS, SUBJECTS } from '../../activities/adapters/nats/resources';
import { NATS_RECONNECT } from '../../activities/adapters/connections';
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

/** Every stream and bucket's stream name: the project's resources as NATS holds them. */
function resourceStreams(): string[] {
  return [...Object.values(STREAMS).map((s) => s.name), ...Object.values(BUCKETS).map((b) => `KV_${b}`)];
}

/**
 * Creates the project's streams and buckets with `replicas` copies and waits until each has a
 * leader and every replica is current: before that, a consumer request on a stream still forming
 * can outlast the client's timeout.
 */
export async function settleStreams(natsUrl: string, replicas: number, timeoutMs = 120_000): Promise<void> {
  const nc = await connect({ servers: natsUrl.split(','), ...NATS_RECONNECT });
  try {
    await ensureNatsResources(nc, replicas);
    const jsm = await jetstreamManager(nc, { timeout: 30_000 });
    const until = Date.now() + timeoutMs;
    for (const name of resourceStreams()) {
      for (;;) {
        const cluster = await jsm.streams
          .info(name)
          .then((i) => i.cluster)
          .catch(() => undefined);
        const peers = cluster?.replicas ?? [];
        if (cluster?.leader && peers.length === replicas - 1 && peers.every((p) => p.current && !p.offline)) break;
        if (Date.now() > until) throw new Error(`stream ${name} did not get ${replicas} current replicas in ${timeoutMs / 1000} s: ${JSON.stringify(cluster)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await nc.close();
  }
}

/** The slowest of a few create-and-delete round trips of a consumer with `replicas` copies on the outbox, in ms: what a reader's first request costs now. */
export async function measureJetStreamApi(natsUrl: string, replicas: number, samples = 5): Promise<number> {
  const nc = await connect({ servers: natsUrl.split(',') });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 60_000 });
    let worst = 0;
    for (let i = 0; i < samples; i++) {
      const t0 = Date.now();
      const info = await jsm.consumers.add(STREAMS.outbox.name, {
        name: `probe-${i}-${Date.now()}`,
        ack_policy: AckPolicy.None,
        num_replicas: replicas,
        inactive_threshold: nanos(60_000),
        filter_subject: SUBJECTS.sms,
      });
      await jsm.consumers.delete(STREAMS.outbox.name, info.name);
      worst = Math.max(worst, Date.now() - t0);
    }
    return worst;
  } finally {
    await nc.close();
  }
}
