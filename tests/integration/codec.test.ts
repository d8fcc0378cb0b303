import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { startHarness, PAYLOAD_KEYS, type Harness } from '../support/harness';
import { AesGcmCodec, ENCRYPTED_ENCODING, PayloadKeyError } from '../../client/payload-codec';
import { startCodecServer, type CodecServer } from '../../workers/codec-server';
import { workflowIdFor } from '../../workflows/phone-change.defs';

const TOKEN = 'engineer-token-0123456789';
const UI = 'http://localhost:8233';

let h: Harness;
let server: CodecServer;
let raw: Connection;
beforeAll(async () => {
  h = await startHarness();
  server = await startCodecServer({ codec: new AesGcmCodec(PAYLOAD_KEYS), tokens: [TOKEN], allowedOrigins: [UI] });
  raw = await Connection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await raw?.close();
  await server?.close();
  await h?.close();
});

/** Every payload in a history, found by shape, but search attributes (indexed, never encoded: they hold ids and states only). */
function payloadsIn(node: unknown, out: Payload[] = []): Payload[] {
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && o.data instanceof Uint8Array) out.push(o as Payload);
    else for (const [k, v] of Object.entries(o)) if (k !== 'searchAttributes') payloadsIn(v, out);
  }
  return out;
}

const asJson = (ps: Payload[]) => ({
  payloads: ps.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString('base64')])),
    data: Buffer.from(p.data!).toString('base64'),
  })),
});

describe('encrypted payloads and the codec server (SEC-4)', () => {
  it('SEC-4: key rotation: data sealed with the old key still opens; new data uses the new key; a missing key is a clear error', async () => {
    const [k2, k1] = PAYLOAD_KEYS;
    const old = new AesGcmCodec([k1!]);
    const rotated = new AesGcmCodec([k2!, k1!]);
    const plain = defaultPayloadConverter.toPayload({ newPhone: '+79161234567' });
    const [sealedOld] = await old.encode([plain]);
    const [opened] = await rotated.decode([sealedOld!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual({ newPhone: '+79161234567' });
    const [sealedNew] = await rotated.encode([plain]);
    expect(Buffer.from(sealedNew!.metadata!['encryption-key-id']!).toString()).toBe('k2');
    await expect(old.decode([sealedNew!])).rejects.toBeInstanceOf(PayloadKeyError);
    const tampered = { ...sealedNew!, data: Buffer.from(sealedNew!.data!).fill(1, 20, 21) };
    await expect(rotated.decode([tampered])).rejects.toThrow();
  });

  it('SEC-4: a completed change\'s history holds only ciphertext; it decodes through the codec server with a token and is refused without', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    await h.completeChange(account, newPhone);
    const history = await new Client({ connection: raw }).workflow.getHandle(workflowIdFor(account.accountId)).fetchHistory();
    const payloads = payloadsIn(history.events);
    expect(payloads.length).toBeGreaterThan(5);
    const plain = payloads.filter((p) => Buffer.from(p.metadata!.encoding!).toString() !== ENCRYPTED_ENCODING);
    // The SDK's own markers are written unencoded: patch ids, and a local activity's bookkeeping
    // (type, attempt, times); the local activity's result itself is encrypted like the rest.
    const sdkMarker = (t: string) => /^\{"id":"[a-z0-9-]+","deprecated":false\}$/.test(t) || /^\{"seq":\d+,"attempt":\d+,"activity_id":"\d+","activity_type":"\w+",/.test(t);
    expect(plain.map((p) => Buffer.from(p.data!).toString()).filter((t) => !sdkMarker(t))).toEqual([]);
    const clear = JSON.stringify(asJson(payloads));
    for (const pii of [newPhone, account.phone, account.email!]) expect(clear).not.toContain(Buffer.from(pii).toString('base64').slice(0, 12));

    const ok = await fetch(`${server.url}/decode`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'X-Namespace': 'default', Origin: UI }, body: clear });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI);
    const decoded = (await ok.json()) as { payloads: { data: string }[] };
    expect(decoded.payloads.map((p) => Buffer.from(p.data, 'base64').toString()).join('\n')).toContain(newPhone);

    const viaPath = await fetch(`${server.url}/${TOKEN}/decode`, { method: 'POST', body: clear });
    expect(viaPath.status).toBe(200);
    const refused = await fetch(`${server.url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: clear });
    expect(refused.status).toBe(401);
    const wrong = await fetch(`${server.url}/decode`, { method: 'POST', headers: { Authorization: 'Bearer not-the-token-at-all!!' }, body: clear });
    expect(wrong.status).toBe(401);
  });

  it('SEC-4: CORS admits the Web UI origin and answers the preflight; other origins get no CORS grant', async () => {
    const pre = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: UI, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);
    const other = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
