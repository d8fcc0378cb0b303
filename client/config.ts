/**
 * The client's and the CLI's configuration, read once at the process edge: only what a client
 * needs (where Temporal and NATS are, the payload keys, the worker's public password key). No
 * proof key, no policy, nothing of the worker's: a client holds no secret that passes a proof (SEC-5).
 */
import { z } from 'zod';
import { connectionEnv, connections, parseEnv, type Connections } from '../activities/adapters/connections';

export type ClientConfig = Connections & {
  /** REC-1, REC-2: new passwords are sealed to this public key (`PASSWORD_PUBLIC_KEY`); recovery commands refuse without it. */
  passwordPublicKey?: Buffer;
};

const clientEnv = {
  ...connectionEnv,
  PASSWORD_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/_-]{43}=?$/, 'PASSWORD_PUBLIC_KEY must be 32 bytes in base64')
    .optional(),
};

export function loadClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const e = parseEnv(z.object(clientEnv), env);
  return { ...connections(e), passwordPublicKey: e.PASSWORD_PUBLIC_KEY ? Buffer.from(e.PASSWORD_PUBLIC_KEY, 'base64') : undefined };
}
