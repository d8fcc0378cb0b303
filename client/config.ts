/**
 * The client's and the CLI's configuration, read once at the process edge: only what a client
 * needs (where Temporal and NATS are, the payload keys). No proof key, no policy, nothing of the
 * worker's: a client holds no secret that passes a proof (SEC-5).
 */
import { z } from 'zod';
import { connectionEnv, connections, parseEnv, type Connections } from '../activities/adapters/connections';

export type ClientConfig = Connections;

export function loadClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  return connections(parseEnv(z.object(connectionEnv), env));
}
