/**
 * Issue 15, thinking like the attacker at the HTTP edge: a few thousand bad requests (wrong types,
 * unknown fields, oversized and broken bodies, bad ids, missing, forged, expired or misbound
 * tokens, another account's change) each get problem details naming a typed error, never echo
 * what was sent, and change nothing: the victim's change keeps its state, no SMS or event goes
 * out, and the log holds no personal data. Requests go through the whole server (inject).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import pino from 'pino';
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import { operatorToken, startHarness, type Harness } from '../support/harness';
import { serviceToken, startTestApi, type TestApi } from './api-harness';
import { operations, type Operation } from '../../client/api/operations';
import type { Account } from '../../activities/ports';

let h: Harness;
let api: TestApi;
let victim: Account;
let victimPhone: string;
let requestId: string;
let token: string;
const logLines: string[] = [];
const MARKER_PHONE = '+79990001122';
/** REC-1, REC-2: a password the API must never echo or log. */
const MARKER_PASSWORD = 'Marker-Pass-2026!';

beforeAll(async () => {
  h = await startHarness();
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, cb) => void (logLines.push(String(chunk)), cb()) }));
  api = await startTestApi(h, h.client, { logger });
  victim = await h.newAccount();
  victimPhone = h.freshPhone();
  requestId = (await h.client.start({ accountId: victim.accountId, newPhone: victimPhone, auth: 'two_factor' })).requestId;
  await h.codeSentTo(victim.phone);
  token = await serviceToken();
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

type Reply = { statusCode: number; headers: Record<string, unknown>; body: string };
const inject = (method: string, url: string, payload?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> =>
  api.app.inject({
    method: method as 'GET',
    url,
    payload,
    headers: { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
  }) as Promise<Reply>;

function expectProblem(r: Reply, what: string): Record<string, unknown> {
  expect(r.statusCode, `${what}: ${r.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(r.statusCode, what).toBeLessThan(500);
  expect(String(r.headers['content-type']), what).toMatch(/^application\/problem\+json/);
  const p = JSON.parse(r.body) as Record<string, unknown>;
  expect(p, what).toMatchObject({ status: r.statusCode, error: expect.any(String), type: expect.stringMatching(/^urn:phone-change:problem:/) });
  expect(r.body, `${what} echoes personal data`).not.toContain(MARKER_PHONE);
  expect(r.body, `${what} echoes a password`).not.toContain(MARKER_PASSWORD);
  return p;
}

const urlOf = (op: Operation, accountId = victim.accountId) => op.url.replace(':accountId', encodeURIComponent(accountId));

/** A body the operation would accept for the victim's change (the values are never used as-is). */
function baseBody(op: Operation): Record<string, unknown> {
  const all: Record<string, unknown> = {
    requestId,
    accountId: victim.accountId,
    newPhone: MARKER_PHONE,
    auth: 'two_factor',
    step: 'old',
    code: '123456',
    token: 'A'.repeat(16),
    fullName: 'Иванова Анна Сергеевна',
    passport: '4510 123456',
    credential: 'a.b.c',
    method: 'video_verification',
    evidenceRef: 'case-1',
    reason: 'because',
    newPassword: MARKER_PASSWORD,
    temporaryPassword: MARKER_PASSWORD,
  };
  const shape = (op.body as unknown as { shape?: Record<string, unknown> }).shape ?? {};
  return Object.fromEntries(Object.keys(shape).map((k) => [k, all[k]]));
}

async function snapshot() {
  await h.smsSettled();
  const st = await h.client.status(victim.accountId);
  return {
    state: st.state,
    steps: st.steps,
    identity: st.identity,
    sms: h.smsTo(victim.phone).length + h.smsTo(victimPhone).length,
    events: h.events.items.filter((e) => JSON.stringify(e).includes(requestId) && !JSON.stringify(e).includes('security')).length,
  };
}

describe('issue 15: the API refuses what it should and nothing changes (SEC-5, SEC-6, SEC-7, REC-1, REC-2, hole 14)', () => {
  it('service tokens: missing, malformed, forged, expired, for another API or issuer, too long-lived, without subject, alg none or HS256 are refused (401); a good one is accepted', async () => {
    const path = `/v1/accounts/${victim.accountId}/change`;
    const now = Math.floor(Date.now() / 1000);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', iss: 'test-services', aud: 'phone-change-api', iat: now, exp: now + 60, scope: 'changes' })).toString('base64url')}.`;
    const hs = await new SignJWT({ scope: 'changes' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setIssuer('test-services')
      .setAudience('phone-change-api')
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('guess'));
    const bad: [string, Record<string, string>][] = [
      ['no header', { authorization: '' }],
      ['basic auth', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['not a JWT', { authorization: 'Bearer hello' }],
      ['alg none', { authorization: `Bearer ${none}` }],
      ['HS256', { authorization: `Bearer ${hs}` }],
      ['forged', { authorization: `Bearer ${await serviceToken({ forged: true })}` }],
      ['expired', { authorization: `Bearer ${await serviceToken({ iat: now - 600, ttl: 60 })}` }],
      ['other audience', { authorization: `Bearer ${await serviceToken({ audience: 'another-api' })}` }],
      ['other issuer', { authorization: `Bearer ${await serviceToken({ issuer: 'someone' })}` }],
      ['lives 2 h', { authorization: `Bearer ${await serviceToken({ ttl: 7200 })}` }],
      ['no subject', { authorization: `Bearer ${await serviceToken({ sub: null })}` }],
      ['issued in the future', { authorization: `Bearer ${await serviceToken({ iat: now + 3600 })}` }],
      ['huge', { authorization: `Bearer ${'a'.repeat(9000)}.b.c` }],
    ];
    for (const [what, headers] of bad) {
      const r = await inject('GET', path, undefined, headers);
      expect(r.statusCode, what).toBe(401);
      expect(expectProblem(r, what)).toMatchObject({ error: 'Unauthorized', field: 'authorization' });
    }
    const ok = await inject('GET', path);
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ requestId, state: 'awaiting_old_number' });
    expect(ok.body).not.toContain(victimPhone);
  });

  it('a few thousand bad requests get problem details and change nothing', async () => {
    const before = await snapshot();
    let sent = 0;
    const badValues = [null, 0, -1, 1e308, true, [], {}, [requestId], { $gt: '' }, '', ' ', 'x'.repeat(10_000), '\u0000', '../../etc/passwd', "' OR 1=1 --", MARKER_PHONE, '<script>alert(1)</script>'];
    for (const op of operations) {
      if (op.body) {
        const base = baseBody(op);
        const candidates: unknown[] = [];
        for (const field of Object.keys(base)) {
          for (const v of badValues) candidates.push({ ...base, [field]: v });
          for (const v of fc.sample(fc.anything(), 60)) candidates.push({ ...base, [field]: v });
          candidates.push(Object.fromEntries(Object.entries(base).filter(([k]) => k !== field)));
        }
        for (const extra of ['policy', 'windowMs', 'operator', '__proto__', 'constructor', 'accountId', 'state', MARKER_PHONE]) candidates.push({ ...base, [extra]: 1 });
        candidates.push(null, [], 'text', 42, [base]);
        for (const c of candidates) {
          if (op.body.safeParse(c).success) continue; // only invalid bodies here
          expectProblem(await inject(op.method, urlOf(op), JSON.stringify(c)), `${op.operationId} ${JSON.stringify(c).slice(0, 80)}`);
          sent++;
        }
        for (const raw of ['{', '{"requestId":', '\u00ff\u00fe', '{"a":1}{"b":2}', 'NaN']) {
          expectProblem(await inject(op.method, urlOf(op), raw), `${op.operationId} raw ${raw}`);
          sent++;
        }
        expectProblem(await inject(op.method, urlOf(op), JSON.stringify({ ...base, reason: 'x'.repeat(20_000) })), `${op.operationId} oversized`);
        expectProblem(await inject(op.method, urlOf(op), Buffer.alloc(100_000, 0x20)), `${op.operationId} oversized blank`);
        sent += 2;
      }
      if (op.url.includes(':accountId')) {
        for (const id of ['', ' ', 'a'.repeat(65), 'a/b', '..', '%00', 'acct%20x', MARKER_PHONE, 'демо', "x' OR '1'='1"]) {
          const r = await inject(op.method, op.url.replace(':accountId', encodeURIComponent(id)), op.body ? JSON.stringify(baseBody(op)) : undefined);
          expectProblem(r, `${op.operationId} account ${id}`);
          sent++;
        }
      }
      if (op.query) {
        for (const q of ['?limit=0', '?limit=-1', '?limit=abc', '?limit=100000', '?limit=1&limit=2', '?other=1', `?limit=${'9'.repeat(400)}`]) {
          expectProblem(await inject(op.method, urlOf(op) + q), `${op.operationId} ${q}`);
          sent++;
        }
      }
      if (op.keyed) {
        for (const key of ['', 'k'.repeat(65), 'a b', 'ключ', MARKER_PHONE, MARKER_PASSWORD, '../x']) {
          const r = await inject(op.method, urlOf(op), JSON.stringify(baseBody(op)), { 'idempotency-key': key });
          expect(expectProblem(r, `${op.operationId} idempotency key ${key}`)).toMatchObject({ status: 400, error: 'InvalidInputError' });
          sent++;
        }
      }
      for (const tok of ['', 'Bearer', `Bearer ${await serviceToken({ forged: true })}`, `Bearer ${await serviceToken({ scope: op.scope === 'changes' ? 'support' : 'changes' })}`]) {
        const r = await inject(op.method, urlOf(op), op.body ? JSON.stringify(baseBody(op)) : undefined, { authorization: tok });
        expect([401, 403]).toContain(expectProblem(r, `${op.operationId} token`).status);
        sent++;
      }
    }
    expect(sent).toBeGreaterThan(2000);
    expect(await snapshot()).toEqual(before);
    const log = logLines.join('');
    expect(log).not.toContain(MARKER_PHONE);
    expect(log).not.toContain(MARKER_PASSWORD);
    expect(log).not.toContain(victim.accountId);
    expect(log).not.toContain(requestId);
  }, 300_000);

  it("another account's change: a request id or an operator credential of another change is refused and changes nothing (SEC-6)", async () => {
    const other = await h.newAccount();
    const otherRequest = (await h.client.start({ accountId: other.accountId, newPhone: h.freshPhone(), auth: 'two_factor' })).requestId;
    const before = await snapshot();
    const cancel = await inject('POST', `/v1/accounts/${victim.accountId}/change/cancel`, JSON.stringify({ requestId: otherRequest }));
    expect(expectProblem(cancel, 'cancel with another change')).toMatchObject({ status: 409, error: 'RequestIdConflictError', field: 'requestId' });
    const foreign = await operatorToken({ account: other.accountId, requestId: otherRequest, action: 'support:reject' });
    const reject = await inject('POST', `/v1/accounts/${victim.accountId}/change/support/reject`, JSON.stringify({ requestId, credential: foreign, reason: 'not theirs' }));
    expect(expectProblem(reject, 'reject with a credential of another change')).toMatchObject({ status: 403, error: 'OperatorCredentialError', reason: 'wrong_account' });
    // The refused credential is recorded as a security event (SECURITY.md); nothing else happens.
    expect(await snapshot()).toEqual(before);
    expect((await h.client.status(other.accountId)).state).not.toBe('rejected');
  });
});
