/** Temporal server nodes sharing PostgreSQL: schema, config from the template, namespace and search attributes. */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { msToTs } from '@temporalio/common/lib/time';
import { freePort, launch, SEARCH_ATTRIBUTES, stopChild, waitUntil } from '../stack';
import type { ClusterNode } from './node';

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);
export const HISTORY_SHARDS = 16;

/** Each call of the sql tool may take this long (seconds on a loaded machine); a hang fails loudly instead of waiting for ever. */
const SQL_TOOL_TIMEOUT_MS = 120_000;

/** Creates both databases and brings them to the schema built into the sql tool; a failure names the database, the command and what the tool printed. */
export async function installSchema(sqlTool: string, pgPort: number, step: (name: string) => void = () => undefined): Promise<void> {
  for (const [db, schema] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    const base = ['--plugin', 'postgres12', '--endpoint', '127.0.0.1', '--port', String(pgPort), '--user', 'temporal', '--password', 'temporal', '--database', db];
    for (const command of [['create-database'], ['setup-schema', '-v', '0.0'], ['update-schema', '--schema-name', `postgresql/v12/${schema}`]]) {
      const what = `temporal-sql-tool ${command[0]} on ${db}`;
      step(`Temporal schema: ${what}`);
      await run(sqlTool, [...base, ...command], { timeout: SQL_TOOL_TIMEOUT_MS }).catch((err: { code?: number | string; signal?: string; killed?: boolean; stderr?: string }) => {
        const how = err.killed && err.signal ? `was stopped (${err.signal}) after ${SQL_TOOL_TIMEOUT_MS / 1000} s` : err.signal ? `was killed by ${err.signal}` : `failed (exit code ${err.code})`;
        throw new Error(`${what} ${how}: ${(err.stderr ?? '').trim().split('\n').slice(-5).join(' | ') || 'no output'}`);
      });
    }
  }
}

export function fillTemplate(file: string, values: Record<string, string | number>): string {
  return readFileSync(join(here, file), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    if (values[k] === undefined) throw new Error(`${file}: no value for {{${k}}}`);
    return String(values[k]);
  });
}

const SERVICES = ['frontend', 'matching', 'history', 'worker'] as const;
const SMALLINT_PORTS = 32768;

/** Writes one node's config (free ports for its four services) and returns a node that can be started again with it. */
export async function temporalNode(o: { name: string; bin: string; dir: string; pgPort: number; firstFrontendPort?: number }): Promise<ClusterNode> {
  const ports: Record<string, number> = { frontendHttpPort: await freePort() };
  for (const s of SERVICES) {
    ports[`${s}Port`] = await freePort();
    // The membership table keeps ports as a PostgreSQL smallint: below 32768, out of the ephemeral range.
    ports[`${s}MembershipPort`] = await freePort(SMALLINT_PORTS);
  }
  const dynamicConfigFile = join(o.dir, 'dynamic-config.yaml');
  mkdirSync(join(o.dir, 'config'), { recursive: true });
  writeFileSync(dynamicConfigFile, readFileSync(join(here, 'dynamic-config.yaml')));
  const config = fillTemplate('temporal.yaml', { ...ports, shards: HISTORY_SHARDS, pgPort: o.pgPort, firstFrontendPort: o.firstFrontendPort ?? ports.frontendPort!, dynamicConfigFile });
  writeFileSync(join(o.dir, 'config', 'node.yaml'), config);
  const address = `127.0.0.1:${ports.frontendPort}`;
  const logFile = join(o.dir, 'temporal.log');
  const args = ['--root', o.dir, '--config', 'config', '--env', 'node', '--allow-no-auth', 'start'];
  let child: ReturnType<typeof launch> | undefined;
  return {
    name: o.name,
    address,
    pid: () => child?.pid,
    async start() {
      child = launch(o.bin, args, logFile);
      await waitUntil(`temporal ${o.name}`, child, logFile, () => frontendServing(address), 90_000);
    },
    kill: () => void child?.kill('SIGKILL'),
    stop: async () => (child ? stopChild(child, 10_000) : undefined),
  };
}

async function frontendServing(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.getClusterInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

/** The `default` namespace and the project's search attributes (Keyword), as the dev server has them. */
export async function setUpNamespace(address: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await existsOk(connection.workflowService.registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: msToTs('1 day') }));
    const searchAttributes = Object.fromEntries(SEARCH_ATTRIBUTES.map((sa) => [sa.split('=')[0], proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]));
    await waitUntilOk(() => existsOk(connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes })));
  } finally {
    await connection.close();
  }
}

/**
 * Ready when each node (not just the one the proxy picked) knows the namespace and its search
 * attributes: a node learns them from the database within its cache refresh (1 s).
 */
export async function namespaceReadyOn(address: string, timeoutMs = 60_000): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await waitUntilOk(async () => {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      const missing = SEARCH_ATTRIBUTES.map((sa) => sa.split('=')[0]!).filter((name) => !customAttributes?.[name]);
      if (missing.length) throw new Error(`${address} does not know ${missing.join(', ')} yet`);
    }, timeoutMs);
  } finally {
    await connection.close();
  }
}

/** A restart on the same data finds them made already (gRPC ALREADY_EXISTS). */
async function existsOk(call: Promise<unknown>): Promise<void> {
  await call.catch((err: { code?: number }) => {
    if (err.code !== 6) throw err;
  });
}

/** The namespace is usable a moment after it is registered; until then the call fails. */
async function waitUntilOk(call: () => Promise<unknown>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await call();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
