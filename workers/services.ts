/** Composes the adapters behind the activities from configuration. The only place that does. */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Config } from './config';
import { NATS_RECONNECT } from '../activities/adapters/connections';
import type { ActivityDeps } from '../activities';
import { ensureNatsResources } from '../activities/adapters/nats/resources';
import { NatsContactRegistry } from '../activities/adapters/nats/registry';
import { natsPublishers } from '../activities/adapters/nats/publishers';
import { KvSentMarkers } from '../activities/adapters/nats/sent-markers';
import { SmtpMailer } from '../activities/adapters/email/smtp-mailer';
import { SmppSms } from '../activities/adapters/smpp/smpp-sms';
import { JwtOperatorVerifier, NoOperatorVerifier } from '../activities/adapters/jwt-operator-verifier';
import { defaultLimits } from '../activities/limits';
import { KvRateLimiter } from '../activities/adapters/nats/rate-limiter';
import { KvSpentCredentials } from '../activities/adapters/nats/spent-credentials';
import { CamaraClient } from '../activities/adapters/camara/camara-client';
import { RecycledNumberGuard } from '../activities/adapters/recycled-guard';

export interface Services {
  nc: NatsConnection;
  deps: ActivityDeps;
  close(): Promise<void>;
}

export async function openServices(
  config: Pick<Config, 'nats' | 'smtpUrl' | 'mailFrom' | 'proofKeys' | 'policy' | 'links' | 'linkedServices'> & Partial<Pick<Config, 'sms' | 'operators' | 'limits' | 'operatorApi'>>,
): Promise<Services> {
  // noAsyncTraces: the client would otherwise build an Error (a stack capture) for every request it
  // sends, in case it fails: 5 % of the worker's main thread in the bench (issue 12).
  const nc = await connect({ servers: config.nats.servers, name: 'phone-change', noAsyncTraces: true, ...NATS_RECONNECT });
  const res = await ensureNatsResources(nc, config.nats.replicas);
  const markers = new KvSentMarkers(res.mailSent);
  const mailer = new SmtpMailer(config.smtpUrl, config.mailFrom, markers);
  const publishers = natsPublishers(nc, config.linkedServices, res.smsSent);
  const smpp = config.sms?.gateway === 'smpp' ? new SmppSms(config.sms, markers) : undefined;
  const registry = new NatsContactRegistry(res.accounts, res.phoneIndex, res.requestIds);
  const deps: ActivityDeps = {
    registry,
    ...publishers,
    sms: new RecycledNumberGuard(smpp ?? publishers.sms, registry),
    operators: config.operators?.publicKeyPem
      ? new JwtOperatorVerifier({ ...config.operators, publicKeyPem: config.operators.publicKeyPem }, new KvSpentCredentials(res.spentCredentials))
      : new NoOperatorVerifier(),
    mailer,
    limiter: new KvRateLimiter(res.limits),
    limits: config.limits ?? defaultLimits,
    keys: config.proofKeys,
    policy: config.policy,
    links: config.links,
    operatorSignals: config.operatorApi
      ? { api: new CamaraClient(config.operatorApi), simSwapMaxAgeHours: config.operatorApi.simSwapMaxAgeHours, whenDown: config.operatorApi.whenDown, sweep: config.operatorApi.sweep }
      : undefined,
  };
  return {
    nc,
    deps,
    async close() {
      await mailer.close();
      await smpp?.close();
      if (!nc.isClosed()) await nc.drain();
    },
  };
}
