import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { BUCKETS, ensureNatsResources } from '../../activities/adapters/nats/resources';
import { ConfigError, loadConfig } from '../../workers/config';
import { startOwnNats, type OwnNats } from '../support/own-nats';

describe('NATS_URL and NATS_REPLICAS (issue 13)', () => {
  it('NATS_URL takes one URL or the comma-separated URLs of a cluster; NATS_REPLICAS defaults to 1', () => {
    expect(loadConfig({}).nats).toEqual({ servers: ['nats://127.0.0.1:4222'], replicas: 1 });
    const cluster = loadConfig({ NATS_URL: 'nats://10.0.0.1:4222,nats://10.0.0.2:4222', NATS_REPLICAS: '3' }).nats;
    expect(cluster).toEqual({ servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'], replicas: 3 });
    for (const bad of [{ NATS_URL: 'nats://a:1,,nats://b:2' }, { NATS_URL: 'a b' }, { NATS_REPLICAS: '0' }, { NATS_REPLICAS: 'three' }]) {
      expect(() => loadConfig(bad)).toThrow(ConfigError);
    }
  });

  describe('streams and buckets that exist already', () => {
    let nats: OwnNats;
    let nc: NatsConnection;
    beforeAll(async () => {
      nats = await startOwnNats('replicas');
      nc = await connect({ servers: nats.address });
    });
    afterAll(async () => {
      await nc?.close();
      await nats?.stop();
    });

    it('are created with NATS_REPLICAS copies; a start-up with another count stops naming each one and the fix', async () => {
      await ensureNatsResources(nc, 1);
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info('OUTBOX')).config.num_replicas).toBe(1);
      expect((await jsm.streams.info('KV_accounts')).config.num_replicas).toBe(1);

      const refused = await ensureNatsResources(nc, 3).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(ConfigError);
      const message = (refused as Error).message;
      expect(message).toMatch(/NATS_REPLICAS: 3/);
      expect(message).toMatch(/stream OUTBOX: 1 replica/);
      expect(message).toMatch(/bucket accounts: 1 replica/);
      expect(message).toMatch(/nats stream edit/);
      // Nothing was changed by the refused start.
      expect((await jsm.streams.info('OUTBOX')).config.num_replicas).toBe(1);
      await expect(ensureNatsResources(nc, 1)).resolves.toBeDefined();
    });

    it('with one copy the buckets keep direct gets (nothing can lag behind a single copy; the cluster suite proves reads from the leader with three)', async () => {
      await ensureNatsResources(nc, 1);
      const jsm = await jetstreamManager(nc);
      for (const b of Object.values(BUCKETS)) expect((await jsm.streams.info(`KV_${b}`)).config.allow_direct, b).toBe(true);
    });
  });
});
