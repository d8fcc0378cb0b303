/**
 * PostgreSQL for the cluster stack: a data folder of its own (initdb once), loopback only, trust
 * authentication for the `temporal` superuser. PostgreSQL refuses to run as root: as root, the
 * folder belongs to the `postgres` user and the server runs as that user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, stopChild, waitUntil, type RunningServer } from '../stack';

/** Enough for two Temporal nodes: 4 services x 12 pooled connections each, with room to spare. */
const MAX_CONNECTIONS = 200;

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

export interface PostgresOptions {
  binDir: string;
  dataDir: string;
  port: number;
  logFile: string;
}

/** Starts PostgreSQL; `fresh` says initdb ran (the schema is to be installed). */
export async function startPostgres(o: PostgresOptions): Promise<RunningServer & { fresh: boolean }> {
  const user = postgresUser();
  const fresh = !existsSync(join(o.dataDir, 'PG_VERSION'));
  if (fresh) {
    mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    if (user) chownSync(o.dataDir, user.uid, user.gid);
    const init = spawnSync(join(o.binDir, 'initdb'), ['-D', o.dataDir, '-U', 'temporal', '--auth=trust', '-E', 'UTF8', '--no-sync'], { encoding: 'utf8', ...user });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
  }
  const args = ['-D', o.dataDir, '-p', String(o.port), '-k', o.dataDir, '-c', 'listen_addresses=127.0.0.1', '-c', `max_connections=${MAX_CONNECTIONS}`];
  const child = launch(join(o.binDir, 'postgres'), args, o.logFile, user);
  const ready = () => Promise.resolve(spawnSync(join(o.binDir, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(o.port)]).status === 0);
  await waitUntil('postgres', child, o.logFile, ready, 60_000);
  // SIGINT is PostgreSQL's fast shutdown: it does not wait for Temporal's pooled connections.
  return { address: `127.0.0.1:${o.port}`, process: child, fresh, stop: () => stopChild(child, 10_000, 'SIGINT') };
}
