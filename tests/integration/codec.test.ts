import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { startHarness, eventually, refusal, PAYLOAD_KEYS, type Harness } from '../support/harness';
import { AesGcmCodec, ENCRYPTED_ENCODING, PayloadKeyError } from '../../activities/adapters/payload-codec';
import { startCodecServer, type CodecServer } from '../../workers/codec-server';
import { createPhoneChangeWorker } from '../../workers/worker';
import { workflowIdFor } from '../../workflows/phone-change.defs';

const TOKEN = 'engineer-token-0123456789';
const UI = 'http://localhost:8233';
const MAX_BODY = 1024 * 1024;

let h: Harness;
let server: CodecServer;
let raw: Connection;
let workerConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
beforeAll(async () => {
  h = await startHarness({ startWorker: false });
  // This file's worker refuses unsealed payloads, as in production: every test here runs on it.
  workerConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const strict = new AesGcmCodec(PAYLOAD_KEYS, { requireEncryption: true });
  worker = await createPhoneChangeWorker({
    connection: workerConnection,
    namespace: 'default',
    taskQueue: h.taskQueue,
    deps: h.services.deps,
    codec: strict,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  running = worker.run();
  server = await startCodecServer({ codec: new AesGcmCodec(PAYLOAD_KEYS), tokens: [TOKEN], allowedOrigins: [UI], maxBodyBytes: MAX_BODY });
  raw = await Connection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await raw?.close();
  await server?.close();
  worker?.shutdown();
  await running;
  await workerConnection?.close();
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

  it("SEC-4: a completed change's history holds only ciphertext; it decodes through the codec server with a token and is refused without", async () => {
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

    const ok = await fetch(`${server.url}/decode`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'X-Namespace': 'default', Origin: UI },
      body: clear,
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI);
    const decoded = (await ok.json()) as { payloads: { data: string }[] };
    expect(decoded.payloads.map((p) => Buffer.from(p.data, 'base64').toString()).join('\n')).toContain(newPhone);

    // The token never travels in a URL.
    const viaPath = await fetch(`${server.url}/${TOKEN}/decode`, { method: 'POST', body: clear });
    expect(viaPath.status).toBe(404);
    expect(await viaPath.text()).not.toContain(Buffer.from(newPhone).toString('base64').slice(0, 12));
    const refused = await fetch(`${server.url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: clear });
    expect(refused.status).toBe(401);
    const wrong = await fetch(`${server.url}/decode`, { method: 'POST', headers: { Authorization: 'Bearer not-the-token-at-all!!' }, body: clear });
    expect(wrong.status).toBe(401);
  });

  it('SEC-4: CORS admits the Web UI origin and answers the preflight; other origins get no CORS grant', async () => {
    const pre = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: UI, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);
    const other = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('issue 10 hole 10: a client without the payload key sends a plaintext update and signal: refused and dropped, the change unchanged, not wedged, still answers status and cancel', async () => {
    const account = await h.newAccount();
    await h.client.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
    const code = await h.codeSentTo(account.phone);
    // The change has recorded the code's send (the SMS can be read a moment before that).
    const before = await eventually(async () => {
      const st = await h.client.status(account.accountId);
      return st.steps?.old.codeExpiresAt !== undefined && st;
    }, 'the send recorded');
    // Even the right answer counts for nothing when it comes unsealed.
    const unsealed = { step: 'old', code };
    const keyless = new Client({ connection: raw }).workflow.getHandle(workflowIdFor(account.accountId));
    const accepted = async () => ((await keyless.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
    const acceptedBefore = await accepted();
    // Rejected by the validator; the keyless caller cannot even read why (the failure is sealed).
    const err = await refusal(keyless.executeUpdate('submitCode', { args: [unsealed] }));
    expect(err instanceof WorkflowUpdateFailedError || /Unknown encoding: binary\/encrypted/.test(String(err))).toBe(true);
    await keyless.signal('submitCodeSignal', unsealed);
    const handled = await eventually(async () => {
      const events = (await keyless.fetchHistory()).events ?? [];
      const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
      return signalled >= 0 && events.slice(signalled).some((e) => e.workflowTaskCompletedEventAttributes) && events;
    }, 'the worker to handle the signal');
    expect(handled.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    expect(await accepted()).toBe(acceptedBefore);
    expect(await h.client.status(account.accountId)).toEqual(before);
    expect((await h.client.submitCode(account.accountId, 'old', code)).outcome).toBe('accepted');
    expect((await h.client.cancel(account.accountId)).state).toBe('cancelled');
    expect((await h.client.status(account.accountId)).state).toBe('cancelled');
  });

  it('issue 10 hole 10: the codec server survives a flood of malformed requests and still answers a good one', async () => {
    const [sealed] = await new AesGcmCodec(PAYLOAD_KEYS).encode([defaultPayloadConverter.toPayload({ newPhone: '+79161234567' })]);
    const good = JSON.stringify(asJson([sealed!]));
    const post = (headers: Record<string, string>, body: string | Uint8Array, path = '/decode') => fetch(`${server.url}${path}`, { method: 'POST', headers, body });
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const attacks: [string, Promise<Response>, number][] = [
      // Right length, bytes >= 0x80: used to throw inside timingSafeEqual and kill the process.
      ['non-ASCII bearer', post({ Authorization: `Bearer ${'é'.repeat(TOKEN.length)}` }, good), 401],
      ['wrong bearer of the right length', post({ Authorization: `Bearer ${'x'.repeat(TOKEN.length)}` }, good), 401],
      ['wrong bearer of another length', post({ Authorization: 'Bearer x' }, good), 401],
      ['forged session cookie', post({ Cookie: 'codec_session=forged' }, good), 401],
      ['huge body', post(auth, new Uint8Array(2 * MAX_BODY)), 413],
      ['bad JSON', post(auth, '{"payloads": ['), 400],
      ['wrong shape', post(auth, '{"payloads": {"data": 1}}'), 400],
      ['not base64', post(auth, '{"payloads": [{"data": "%%%"}]}'), 400],
      [
        'tampered ciphertext',
        post(
          auth,
          good.replace(/"data":"(.)/, (_m, c: string) => `"data":"${c === 'A' ? 'B' : 'A'}`),
        ),
        400,
      ],
      ['GET', fetch(`${server.url}/decode`, { headers: auth }), 405],
      ['PUT', fetch(`${server.url}/encode`, { method: 'PUT', headers: auth, body: good }), 405],
      ['unknown path', post(auth, good, '/../etc/passwd'), 404],
      ['login with a wrong token', post({ 'Content-Type': 'application/x-www-form-urlencoded' }, 'token=wrong', '/login'), 401],
    ];
    for (const [what, answer, status] of attacks) {
      const res = await answer;
      expect({ what, status: res.status }).toEqual({ what, status });
      expect(await res.json()).toMatchObject({ error: expect.any(String) });
    }
    const ok = await post(auth, good);
    expect(ok.status).toBe(200);
    expect(Buffer.from(((await ok.json()) as { payloads: { data: string }[] }).payloads[0]!.data, 'base64').toString()).toContain('+79161234567');
  });

  it('issue 10 hole 10: the Web UI signs in through the login page: an HttpOnly same-site session cookie, no token in any URL', async () => {
    const login = await fetch(`${server.url}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}` });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(TOKEN);
    const session = setCookie.split(';')[0]!;
    const [sealed] = await new AesGcmCodec(PAYLOAD_KEYS).encode([defaultPayloadConverter.toPayload('hello')]);
    const res = await fetch(`${server.url}/decode`, { method: 'POST', headers: { Cookie: session, Origin: UI }, body: JSON.stringify(asJson([sealed!])) });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  });
});
