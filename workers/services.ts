/** Composes the adapters behind the activities from configuration. The only place that does. */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Config } from './config';
import type { ActivityDeps } from '../activities';
import { ensureNatsResources } from '../activities/nats/resources';
import { NatsContactRegistry } from '../activities/nats/registry';
import { natsPublishers } from '../activities/nats/publishers';
import { KvSentMarkers } from '../activities/nats/sent-markers';
import { SmtpMailer } from '../activities/email/smtp-mailer';
import { SmppSms } from '../activities/smpp/smpp-sms';
import { JwtOperatorVerifier, NoOperatorVerifier } from '../activities/operators';
import { defaultLimits, KvRateLimiter } from '../activities/limits';
import { KvSpentCredentials } from '../activities/nats/spent-credentials';

export interface Services {
  nc: NatsConnection;
  deps: ActivityDeps;
  close(): Promise<void>;
}

export async function openServices(config: Pick<Config, 'natsUrl' | 'smtpUrl' | 'mailFrom' | 'proofKeys' | 'policy' | 'links' | 'linkedServices'> & Partial<Pick<Config, 'sms' | 'operators' | 'limits'>>): Promise<Services> {
  const nc = await connect({ servers: config.natsUrl, name: 'phone-change' });
  const res = await ensureNatsResources(nc);
  const markers = new KvSentMarkers(res.mailSent);
  const mailer = new SmtpMailer(config.smtpUrl, config.mailFrom, markers);
  const publishers = natsPublishers(nc, config.linkedServices, res.smsSent);
  const smpp = config.sms?.gateway === 'smpp' ? new SmppSms(config.sms, markers) : undefined;
  const deps: ActivityDeps = {
    registry: new NatsContactRegistry(res.accounts, res.phoneIndex, res.requestIds),
    ...publishers,
    sms: smpp ?? publishers.sms,
    operators: config.operators?.publicKeyPem
      ? new JwtOperatorVerifier({ ...config.operators, publicKeyPem: config.operators.publicKeyPem }, new KvSpentCredentials(res.spentCredentials))
      : new NoOperatorVerifier(),
    mailer,
    limiter: new KvRateLimiter(res.limits),
    limits: config.limits ?? defaultLimits,
    keys: config.proofKeys,
    policy: config.policy,
    links: config.links,
  };
  return {
    nc,
    deps,
    async close() {
      mailer.close();
      await smpp?.close();
      await nc.drain();
    },
  };
}
