/**
 * The cluster stack on one machine, shaped like production: PostgreSQL, two Temporal server nodes
 * sharing it (16 history shards, SQL visibility) behind a frontend proxy, the Web UI server, and
 * three nats-server nodes forming a JetStream cluster. Free loopback ports, state under workDir.
 * Used by `npm run stack:cluster` and `npm run test:cluster`.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, launch, readToolsEnv, stopChild, toolPaths, waitUntil, type RunningServer } from '../stack';
import { startPostgres } from './postgres';
import { fillTemplate, installSchema, namespaceReadyOn, setUpNamespace, temporalNode } from './temporal-nodes';
import { killServersOf } from './leftovers';
import { natsCluster } from './nats-cluster';
import { startFrontendProxy, type FrontendProxy } from './frontend-proxy';
import type { ClusterNode } from './node';

export interface ClusterTools {
  temporalServer: string;
  sqlTool: string;
  uiServer: string;
  postgresBinDir: string;
  natsServer: string;
}

/** Paths recorded by `npm run stack:cluster` / `test:cluster` (cluster/install.sh into .cluster-tools.env). */
export function clusterTools(): ClusterTools {
  const r = readToolsEnv('.cluster-tools.env');
  const { TEMPORAL_SERVER_BIN: temporalServer, TEMPORAL_SQL_TOOL_BIN: sqlTool, TEMPORAL_UI_SERVER_BIN: uiServer, POSTGRES_BIN_DIR: postgresBinDir } = r;
  if (!temporalServer || !sqlTool || !uiServer || !postgresBinDir) throw new Error('cluster binaries unknown: run `bash temporal-config/cluster/ensure.sh`');
  return { temporalServer, sqlTool, uiServer, postgresBinDir, natsServer: toolPaths().natsServer };
}

export interface Cluster {
  /** The frontend proxy: one address for clients and workers, any live node behind it. */
  temporalAddress: string;
  /** Comma-separated, as NATS_URL takes it. */
  natsUrl: string;
  uiUrl?: string;
  temporal: ClusterNode[];
  nats: ClusterNode[];
  /** name → PID of every server process. */
  pids(): Record<string, number | undefined>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  workDir: string;
  /** Web UI on this port (with the codec server behind it); none when absent. */
  ui?: { port: number; codecEndpoint?: string };
  log?: (line: string) => void;
  /** Told each step as it begins, so that whoever started the cluster can say where it failed. */
  step?: (name: string) => void;
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const tools = clusterTools();
  const log = o.log ?? (() => undefined);
  const step = o.step ?? (() => undefined);
  // Servers of an earlier run on this folder that was killed outright (they would hold its data).
  step('killing servers an earlier run on the folder left');
  const left = killServersOf({ workDir: o.workDir, pids: {} });
  if (left.length) log(`killed ${left.length} server(s) an earlier run on ${o.workDir} left running`);
  mkdirSync(o.workDir, { recursive: true });
  chmodSync(o.workDir, 0o755); // PostgreSQL runs as its own user and must reach its data folder
  const started: { stop(): Promise<void> }[] = [];
  try {
    step('starting 3 NATS nodes');
    const natsNodes = await natsCluster(tools.natsServer, join(o.workDir, 'nats'));
    started.push(...natsNodes);
    const natsUp = Promise.all(natsNodes.map((n) => n.start()));
    // Awaited below; a failure before that must not surface later as an unhandled rejection.
    natsUp.catch(() => undefined);
    step('PostgreSQL: initdb and start');
    const pg = await startPostgres({ binDir: tools.postgresBinDir, dataDir: join(o.workDir, 'postgres'), port: await freePort(), logFile: join(o.workDir, 'postgres.log') });
    started.push(pg);
    const pgPort = Number(pg.address.split(':')[1]);
    log(`PostgreSQL on ${pg.address}${pg.fresh ? '; installing the Temporal schema' : ''}`);
    if (pg.fresh) await installSchema(tools.sqlTool, pgPort, step);
    step('starting 2 Temporal nodes');
    const temporal = await temporalNodes(tools.temporalServer, o.workDir, pgPort);
    started.push(...temporal);
    // One after the other: on a fresh database both nodes write the cluster's metadata record at
    // start-up, and the one that loses the race exits (duplicate key), which failed a test run's set-up.
    for (const n of temporal) await n.start();
    step('frontend proxy');
    const proxy = await startFrontendProxy(
      temporal.map((n) => n.address),
      await freePort(),
    );
    started.push({ stop: () => proxy.close() });
    step('namespace and search attributes');
    await setUpNamespace(proxy.address);
    await Promise.all(temporal.map((n) => namespaceReadyOn(n.address)));
    log(`Temporal nodes ${temporal.map((n) => n.address).join(', ')} behind ${proxy.address}`);
    step('NATS JetStream cluster: a meta leader on every node');
    await natsUp;
    log(`NATS JetStream cluster ${natsNodes.map((n) => n.address).join(',')}`);
    if (o.ui) step('Web UI server');
    const ui = o.ui ? await startUi(tools.uiServer, o.workDir, proxy, o.ui) : undefined;
    if (ui) started.push(ui);
    return {
      temporalAddress: proxy.address,
      natsUrl: natsNodes.map((n) => n.address).join(','),
      uiUrl: o.ui ? `http://localhost:${o.ui.port}` : undefined,
      temporal,
      nats: natsNodes,
      pids: () => Object.fromEntries([['postgres', pg.process.pid], ['ui', ui?.process.pid], ...[...temporal, ...natsNodes].map((n) => [n.name, n.pid()])]),
      stop: () => stopAll(started),
    };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

/** In reverse order of start: the UI and Temporal before PostgreSQL. */
async function stopAll(started: { stop(): Promise<void> }[]): Promise<void> {
  for (const s of [...started].reverse()) await s.stop().catch(() => undefined);
}

async function temporalNodes(bin: string, workDir: string, pgPort: number): Promise<ClusterNode[]> {
  const first = await temporalNode({ name: 'temporal-1', bin, dir: join(workDir, 'temporal-1'), pgPort });
  const firstFrontendPort = Number(first.address.split(':')[1]);
  const second = await temporalNode({ name: 'temporal-2', bin, dir: join(workDir, 'temporal-2'), pgPort, firstFrontendPort });
  return [first, second];
}

async function startUi(bin: string, workDir: string, proxy: FrontendProxy, ui: { port: number; codecEndpoint?: string }): Promise<RunningServer> {
  const dir = join(workDir, 'ui');
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(join(dir, 'config', 'ui.yaml'), fillTemplate('ui.yaml', { temporalAddress: proxy.address, uiPort: ui.port, codecEndpoint: ui.codecEndpoint ?? '' }));
  const logFile = join(dir, 'ui.log');
  const child = launch(bin, ['--root', dir, '--config', 'config', '--env', 'ui', 'start'], logFile);
  const url = `http://127.0.0.1:${ui.port}`;
  await waitUntil('temporal ui-server', child, logFile, async () => (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok, 30_000);
  return { address: url, process: child, stop: () => stopChild(child) };
}
