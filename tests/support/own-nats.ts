/** A nats-server of a test file's own, on a fixed port and store so it can be stopped and started again as the same server. */
import { join } from 'node:path';
import { inject } from 'vitest';
import { freePort, startNats, toolPaths, type RunningServer } from '../../temporal-config/stack';

export interface OwnNats {
  address: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOwnNats(name: string): Promise<OwnNats> {
  const port = await freePort();
  const storeDir = join(inject('workDir'), `${name}-nats`);
  let server: RunningServer | undefined;
  const own: OwnNats = {
    address: `nats://127.0.0.1:${port}`,
    async start() {
      server = await startNats({ bin: toolPaths().natsServer, port, storeDir, logFile: join(storeDir, 'nats.log') });
    },
    async stop() {
      await server?.stop();
    },
  };
  await own.start();
  return own;
}
