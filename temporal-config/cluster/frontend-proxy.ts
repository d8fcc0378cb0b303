/**
 * The load balancer in front of the Temporal frontends, as production has one: a TCP proxy on
 * loopback that sends each new connection to the first frontend that accepts it. The SDK holds one
 * address; when its node dies, the connection breaks and the reconnect lands on a live node.
 */
import { createServer, connect, type Socket } from 'node:net';

export interface FrontendProxy {
  address: string;
  close(): Promise<void>;
}

export async function startFrontendProxy(frontends: string[], port: number): Promise<FrontendProxy> {
  let next = 0;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    client.pause();
    const attempt = (left: number) => {
      const [host, p] = frontends[next++ % frontends.length]!.split(':');
      const upstream = connect(Number(p), host);
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        open.add(upstream);
        upstream.once('close', () => open.delete(upstream));
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
      // Refused: the next frontend; broken once connected: the client reconnects through us.
      upstream.on('error', () => (!connected && left > 1 ? attempt(left - 1) : client.destroy()));
    };
    attempt(frontends.length);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
