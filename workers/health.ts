/**
 * Liveness and readiness for a supervisor (systemd, Kubernetes): `/healthz` answers while the
 * process serves HTTP; `/readyz` only while the Temporal worker runs and NATS is connected, so a
 * worker cut off from NATS is taken out of rotation and seen, instead of failing every activity.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/transport-node';

/** Follows the connection's status events; true between a (re)connect and the next disconnect. */
export function natsConnectivity(nc: NatsConnection, onChange: (connected: boolean) => void = () => undefined): () => boolean {
  let connected = !nc.isClosed();
  void (async () => {
    for await (const s of nc.status()) {
      const next = s.type === 'reconnect' ? true : s.type === 'disconnect' || s.type === 'close' ? false : connected;
      if (next !== connected) onChange((connected = next));
    }
    connected = false;
  })();
  return () => connected && !nc.isClosed();
}

export interface Readiness {
  temporal: () => string;
  nats: () => boolean;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(port: number, r: Readiness): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path !== '/readyz') return void res.writeHead(404).end();
    const state = { temporal: r.temporal(), nats: r.nats() ? 'connected' : 'disconnected' };
    const ready = state.temporal === 'RUNNING' && state.nats === 'connected';
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready, ...state }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
