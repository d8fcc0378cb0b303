/**
 * Starts the local servers as child processes on loopback: the Temporal dev server (with the
 * project's search attributes and, optionally, the Web UI) and nats-server with JetStream. Used by
 * `npm start` (dev-stack.ts), the test suite's global setup and the benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { connect } from '@nats-io/transport-node';
import { ConfigError } from '../activities/config-error';

const here = dirname(fileURLToPath(import.meta.url));

/** Search attributes registered on the dev server (names match workflows/phone-change.defs.ts). */
export const SEARCH_ATTRIBUTES = ['AccountId=Keyword', 'PhoneChangeState=Keyword', 'PhoneChangeRequestId=Keyword'];

export interface ToolPaths {
  temporal: string;
  natsServer: string;
}

/** Paths recorded by ensure.sh; TEMPORAL_BIN / NATS_SERVER_BIN override them. */
export function toolPaths(env: NodeJS.ProcessEnv = process.env): ToolPaths {
  const recorded = readToolsEnv('.tools.env');
  const temporal = env.TEMPORAL_BIN ?? recorded.TEMPORAL_BIN;
  const natsServer = env.NATS_SERVER_BIN ?? recorded.NATS_SERVER_BIN;
  if (!temporal || !natsServer) {
    throw new Error('server binaries unknown: run `bash temporal-config/ensure.sh` (npm start and npm test do it for you)');
  }
  return { temporal, natsServer };
}

/** NAME=value lines an install script wrote into temporal-config/<file>. */
export function readToolsEnv(file: string): Record<string, string> {
  const path = join(here, file);
  const recorded: Record<string, string> = {};
  if (existsSync(path)) {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m?.[1] && m[2] !== undefined) recorded[m[1]] = m[2];
    }
  }
  return recorded;
}

/** A port free on loopback now; `below` keeps it under a bound (random tries in 20000..below). */
export async function freePort(below?: number): Promise<number> {
  if (below) {
    for (;;) {
      const port = 20_000 + Math.floor(Math.random() * (below - 20_000));
      if (await portFree(port)) return port;
    }
  }
  return listenOn(0);
}

const portFree = (port: number) =>
  listenOn(port).then(
    () => true,
    () => false,
  );

async function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningServer {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

/** SIGKILLs every server this process launched and has not seen exit, each with its process group (PostgreSQL's backends too). */
export function killLaunched(): void {
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      c.kill('SIGKILL');
    }
  }
}
// Never leave a server behind when this process ends without stopping them (a crash, exit()).
process.once('exit', killLaunched);

/**
 * Ctrl-C for a process that launched servers (npm start, npm run stack:cluster). The first signal
 * stops gracefully once `graceful()` says the worker runs (the Temporal SDK drains it on
 * SIGINT/SIGTERM, then the caller stops the servers). Before that, and at any further signal, the
 * process exits at once, and its exit kills every server it launched. A handler must always stay:
 * the SDK removes its own after the first signal, and a signal with none ends the process without
 * its exit hooks, leaving the servers (process groups of their own) holding their ports.
 */
export function stopOnSignals(say: (line: string) => void, graceful: () => boolean): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (!stopping && graceful()) {
        stopping = true;
        return say('stopping: the worker finishes its tasks, then the servers stop (Ctrl-C again to stop at once)');
      }
      say(`${signal}${stopping ? ' again' : ''}: stopping at once, the servers are killed`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Starts a server in a process group of its own, its output appended to logFile. */
export function launch(bin: string, args: string[], logFile: string, options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  // A process group of its own: Ctrl-C in the terminal reaches only us, and we stop the servers
  // after the worker has drained, not at the same moment.
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export async function stopChild(child: ChildProcess, graceMs = 5000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function waitUntil(what: string, child: ChildProcess, logFile: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}; see ${logFile}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready in ${timeoutMs / 1000} s; see ${logFile}`);
}

/**
 * Issue 12: the Temporal server keeps every workflow it touched in its mutable-state cache
 * (`history.hostLevelCacheMaxSize`: 128 000 entries for an hour by default), so each waiting change
 * held about 14 KB of the server's memory. Bounded like the worker's cache: a change evicted from
 * it is read back from the database when its next message comes (one read). Entries in use are
 * pinned, and a cache full of pinned entries refuses work (retried), hence the floor.
 */
export const HISTORY_CACHE = { default: 500, min: 100, max: 1_000_000 } as const;

/** TEMPORAL_HISTORY_CACHE_SIZE for the servers the project starts itself (the dev server). */
export function historyCacheSize(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TEMPORAL_HISTORY_CACHE_SIZE;
  if (raw === undefined) return HISTORY_CACHE.default;
  const n = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= HISTORY_CACHE.min && n <= HISTORY_CACHE.max)) {
    throw new ConfigError(
      `invalid configuration:\n  TEMPORAL_HISTORY_CACHE_SIZE: an integer from ${HISTORY_CACHE.min} to ${HISTORY_CACHE.max} (changes the Temporal dev server keeps in memory; default ${HISTORY_CACHE.default})`,
    );
  }
  return n;
}

export interface TemporalOptions {
  bin: string;
  port?: number;
  /** Web UI port; headless when absent. */
  uiPort?: number;
  /** SQLite file for durable state; in memory when absent. */
  dbFile?: string;
  logFile: string;
  codecEndpoint?: string;
  /** Entries of the server's mutable-state cache (HISTORY_CACHE.default when absent). */
  historyCacheSize?: number;
  /** Port of the server's Prometheus `/metrics`; a random one when absent. */
  metricsPort?: number;
}

export async function startTemporal(opts: TemporalOptions): Promise<RunningServer> {
  const port = opts.port ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  for (const sa of SEARCH_ATTRIBUTES) args.push('--search-attribute', sa);
  // Hole 14: a worker's rejection of an update carries the request back; at the default 2 MB blob
  // limit, rejecting an oversized update made the server terminate the change. Above the 4 MB gRPC
  // limit, no request can make a rejection too large. Production sets the same (README, SECURITY.md).
  args.push('--dynamic-config-value', 'limit.blobSize.error=8388608');
  args.push('--dynamic-config-value', `history.hostLevelCacheMaxSize=${opts.historyCacheSize ?? HISTORY_CACHE.default}`);
  if (opts.metricsPort) args.push('--metrics-port', String(opts.metricsPort));
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    // WAL with normal sync more than doubles throughput over the default full sync (DESIGN.md).
    args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  if (opts.codecEndpoint) args.push('--ui-codec-endpoint', opts.codecEndpoint);
  const address = `127.0.0.1:${port}`;
  const child = launch(opts.bin, args, opts.logFile);
  await waitUntil('temporal dev server', child, opts.logFile, () => temporalReady(address), 60_000);
  return { address, process: child, stop: () => stopChild(child) };
}

export async function temporalReady(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } finally {
    await connection.close();
  }
}

export interface NatsOptions {
  bin: string;
  port?: number;
  storeDir: string;
  logFile: string;
  /** Go's profiling endpoint on 127.0.0.1 (the bench reads the heap's size there). */
  profilePort?: number;
}

export async function startNats(opts: NatsOptions): Promise<RunningServer> {
  const port = opts.port ?? (await freePort());
  mkdirSync(opts.storeDir, { recursive: true });
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', opts.storeDir];
  if (opts.profilePort) args.push('-profile', String(opts.profilePort));
  const child = launch(opts.bin, args, opts.logFile);
  const address = `nats://127.0.0.1:${port}`;
  await waitUntil(
    'nats-server',
    child,
    opts.logFile,
    async () => {
      const nc = await connect({ servers: address, timeout: 1000 });
      await nc.close();
      return true;
    },
    30_000,
  );
  return { address, process: child, stop: () => stopChild(child) };
}
