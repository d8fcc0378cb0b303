/**
 * The API process: `npm run api` on its own, or inside `npm start`. Connects to Temporal (sealed
 * payloads) and NATS (the account history), serves /v1 and the support console, prints its address.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import pino from 'pino';
import { NATS_RECONNECT } from '../../activities/adapters/connections';
import { AesGcmCodec } from '../../activities/adapters/payload-codec';
import { JetStreamHistory } from '../../activities/adapters/nats/publishers';
import { PhoneChangeClient } from '../phone-change-client';
import { RecoveryClient } from '../recovery-client';
import { loadApiConfig, type ApiConfig } from './config';
import { buildApi } from './server';
import { ensureDevServiceKey } from './dev-service-token';
import { consolePlugin } from '../console/routes';
import { Sessions } from '../console/sessions';
import { DevIdp } from '../console/dev-idp';
import { OidcLogin } from '../console/oidc';
import { TokenExchangeIdp } from '../console/token-exchange';
import type { FastifyInstance } from 'fastify';

export interface RunningApi {
  url: string;
  console: boolean;
  close(): Promise<void>;
}

export async function startApi(env: NodeJS.ProcessEnv = process.env): Promise<RunningApi> {
  const devKeys = env.NODE_ENV !== 'production' && !env.API_SERVICE_JWT_PUBLIC_KEYS && !env.API_SERVICE_JWT_PUBLIC_KEY_FILES;
  if (devKeys) env = { ...env, API_SERVICE_JWT_PUBLIC_KEY_FILES: await ensureDevServiceKey(env.DATA_DIR ?? '.data') };
  const config = loadApiConfig(env);
  const logger = pino({ level: config.logLevel, base: { service: 'phone-change-api' } });
  const { address, namespace, apiKey, tls } = config.temporal;
  const connection = await Connection.connect({ address, apiKey, tls: tls ? {} : undefined });
  const nc = await connect({ servers: config.natsServers, name: 'phone-change-api', ...NATS_RECONNECT });
  const codec = new AesGcmCodec(config.payloadKeys, { requireEncryption: config.production, refuseUnreadable: true });
  const temporal = new Client({ connection, namespace, dataConverter: { payloadCodecs: [codec] } });
  const client = new PhoneChangeClient({ client: temporal, taskQueue: config.temporal.taskQueue, history: new JetStreamHistory(jetstream(nc)) });
  const recovery = new RecoveryClient({ client: temporal, taskQueue: config.temporal.taskQueue, passwordPublicKey: config.passwordPublicKey });
  const plugins = consolePlugins(config, client, recovery);
  const app = await buildApi({
    client,
    recovery,
    temporal,
    serviceAuth: config.serviceAuth,
    bodyLimit: config.bodyLimit,
    logger,
    plugins,
    ready: async () => !nc.isClosed() && (await connection.healthService.check({}).then((r) => r.status === 1)),
  });
  const url = await app.listen({ host: config.host, port: config.port });
  return {
    url,
    console: plugins.length > 0,
    close: async () => {
      await app.close();
      await Promise.all([connection.close(), nc.close()]);
    },
  };
}

function consolePlugins(config: ApiConfig, client: PhoneChangeClient, recovery: RecoveryClient) {
  const c = config.console;
  if (!c.enabled) return [];
  if (c.oidc) {
    // A production identity provider: its ID tokens sign operators in, its token exchange mints action credentials.
    const login = new OidcLogin(c.oidc.login);
    const sessions = new Sessions({ verifier: login, sessionTtlMs: c.sessionTtlMs });
    const idp = new TokenExchangeIdp(login.loginUrl, c.oidc.exchange);
    return [consolePlugin({ client, recovery, sessions, idp, secureCookies: config.production }), async (app: FastifyInstance) => login.routes(app)];
  }
  if (!c.operatorPublicKeyPem) return [];
  const devKey = join(config.dataDir, 'operator-jwt', 'private.pem');
  const idp = DevIdp.available(devKey, config.production) ? new DevIdp({ privateKeyPath: devKey, issuer: c.issuer, loginAudience: c.loginAudience, actionAudience: c.actionAudience }) : undefined;
  const sessions = new Sessions({ publicKeyPem: c.operatorPublicKeyPem, issuer: c.issuer, audience: c.loginAudience, sessionTtlMs: c.sessionTtlMs });
  const plugin = consolePlugin({ client, recovery, sessions, idp, secureCookies: config.production });
  return idp ? [plugin, async (app: Parameters<typeof plugin>[0]) => idp.routes(app)] : [plugin];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  startApi()
    .then((api) => {
      console.log(`[api] phone-change API on ${api.url}/v1 (OpenAPI ${api.url}/v1/openapi.json, docs ${api.url}/v1/docs)${api.console ? `, support console ${api.url}/console` : ''}`);
      const stop = () => void api.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    })
    .catch((err: unknown) => {
      console.error(`[api] failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
