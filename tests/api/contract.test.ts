/**
 * Issue 15: the contract test. Its cases come from the OpenAPI document the API serves: every
 * operation of the document is exercised against the running stack (Temporal dev server, NATS,
 * SMTP, a worker), every documented status is produced, every answer is checked against the
 * document's schema, and the document, the operations table and the server's routes must agree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { eventually, operatorToken, startHarness, type Harness } from '../support/harness';
import { serviceToken, startTestApi, type TestApi } from './api-harness';
import { operations } from '../../client/api/operations';
import { hashRecoveryCode } from '../../activities/codes';
import { PROOF_KEYS } from '../support/harness';
import type { PhoneChangeClient } from '../../client/phone-change-client';

type Doc = {
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }>; requestBody?: unknown }>>;
  components?: { schemas?: Record<string, unknown> };
};

let h: Harness;
let api: TestApi;
let doc: Doc;
let client: PhoneChangeClient;
const ajv = new Ajv2020({ strict: false, allErrors: false });
/** operationId → statuses seen, checked against the documented ones at the end. */
const seen = new Map<string, Set<number>>();
const docOps = new Map<string, { method: string; path: string; responses: Doc['paths'][string][string]['responses']; hasBody: boolean }>();

beforeAll(async () => {
  h = await startHarness();
  // Identity check on and a short resend cooldown: every operation has a path to success here.
  client = await h.clientWith({ identityCheck: true, resendCooldownMs: 1500 });
  api = await startTestApi(h, client);
  const r = await fetch(`${api.url}/v1/openapi.json`);
  doc = (await r.json()) as Doc;
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) ajv.addSchema(schema as object, `#/components/schemas/${name}`);
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) docOps.set(op.operationId, { method: method.toUpperCase(), path, responses: op.responses, hasBody: Boolean(op.requestBody) });
  }
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

/** Calls a documented operation and checks the answer against the document. */
async function call(operationId: string, pathParams: Record<string, string>, body?: unknown, token?: string | null) {
  const op = docOps.get(operationId);
  if (!op) throw new Error(`${operationId} is not in the document`);
  let path = op.path;
  for (const [k, v] of Object.entries(pathParams)) path = path.replace(`{${k}}`, encodeURIComponent(v));
  const res = await api.call(op.method, path, body, token);
  const documented = op.responses[String(res.status)];
  expect(documented, `${operationId} answered ${res.status}, which the document does not list: ${JSON.stringify(res.body)}`).toBeDefined();
  const [contentType, media] = Object.entries(documented!.content ?? {})[0]!;
  expect(res.type.split(';')[0]).toBe(contentType);
  const validate = ajv.compile((media.schema ?? {}) as object);
  expect(validate(res.body), `${operationId} ${res.status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(res.body)}`).toBe(true);
  if (!seen.has(operationId)) seen.set(operationId, new Set());
  seen.get(operationId)!.add(res.status);
  return res;
}

/** A documented operation without path parameters, with a query string. */
async function callWithQuery(operationId: string, query: string) {
  const op = docOps.get(operationId)!;
  const res = await api.call(op.method, op.path + query);
  if (!seen.has(operationId)) seen.set(operationId, new Set());
  seen.get(operationId)!.add(res.status);
  expect(res.type).toMatch(/^application\/problem\+json/);
  return res;
}

describe('issue 15: the OpenAPI document and the routes agree', () => {
  it('every operation of the table is in the document, with the same method and path, and nothing else is', () => {
    const fromTable = operations.map((o) => `${o.operationId} ${o.method} ${o.url.replace(/:(\w+)/g, '{$1}')}`).sort();
    const fromDoc = [...docOps.entries()].map(([id, o]) => `${id} ${o.method} ${o.path}`).sort();
    expect(fromDoc).toEqual(fromTable);
    expect(doc).toMatchObject({ openapi: '3.1.0' });
  });

  it('every route the server has under /v1 is documented (the others are the document, the docs page and health)', () => {
    const routes = (api.app.printRoutes({ commonPrefix: false }) as string)
      .split('\n')
      .map((l) => l.replace(/^[\s│├└─]+/, '').trim())
      .filter(Boolean);
    const documented = new Set([...docOps.values()].map((o) => o.path.replace(/\{(\w+)\}/g, ':$1')));
    const v1 = routes.map((r) => r.split(' (')[0]!).filter((r) => r.startsWith('/v1/') && !r.startsWith('/v1/docs') && r !== '/v1/openapi.json');
    for (const r of v1) expect(documented.has(r), `route ${r} is not in the document`).toBe(true);
  });

  it('every documented operation refuses a call without a token (401) and one lacking its scope (403), as problem details', async () => {
    const other = { changes: await serviceToken({ scope: 'support' }), support: await serviceToken({ scope: 'changes' }) };
    for (const o of operations) {
      const params = { accountId: 'acct-none' };
      const none = await call(o.operationId, params, o.body ? {} : undefined, null);
      expect(none).toMatchObject({ status: 401, body: { error: 'Unauthorized', field: 'authorization' } });
      const wrong = await call(o.operationId, params, o.body ? {} : undefined, other[o.scope]);
      expect(wrong).toMatchObject({ status: 403, body: { error: 'Forbidden' } });
    }
  });

  it('every documented operation answers bad input with 400 InvalidInputError naming the field; bodies: 413 when too large, 415 when not JSON', async () => {
    for (const o of operations) {
      const res = o.query && !o.params ? await callWithQuery(o.operationId, '?limit=0') : await call(o.operationId, { accountId: 'bad account id!' }, o.body ? { unexpected: 1 } : undefined);
      expect(res.status, o.operationId).toBe(400);
      expect(res.body.error).toBe('InvalidInputError');
      expect(typeof res.body.field).toBe('string');
      if (!docOps.get(o.operationId)!.hasBody) continue;
      const op = docOps.get(o.operationId)!;
      const path = op.path.replace('{accountId}', 'acct-none');
      const token = await serviceToken();
      const big = await fetch(api.url + path, {
        method: op.method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ x: 'a'.repeat(40_000) }),
      });
      expect(big.status).toBe(413);
      expect(await big.json()).toMatchObject({ error: 'PayloadTooLarge' });
      seen.get(o.operationId)!.add(413);
      const text = await fetch(api.url + path, { method: op.method, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: 'hello' });
      expect(text.status).toBe(415);
      expect(text.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      seen.get(o.operationId)!.add(415);
    }
  });
});

describe('issue 15: liveness and readiness', () => {
  it('/healthz answers while the process is up; /readyz says whether Temporal and NATS answer (503 when not); the docs page is served', async () => {
    expect(await (await fetch(`${api.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    const docs = await fetch(`${api.url}/v1/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
    const down = await startTestApi(h, client, { ready: async () => false });
    try {
      const r = await fetch(`${down.url}/readyz`);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ status: 'not ready' });
    } finally {
      await down.close();
    }
  });
});

describe('issue 15: every operation against the running stack (PRE-1, SEC-2, OTP-3, LOST-1, LOST-2, SEC-3, SEC-6, DONE-3, DONE-4, AFTER-1, AFTER-2, AFTER-3, REC-1, REC-2, REC-3)', () => {
  it('a whole change with the identity check, resend and its cooldown, history, linked services, test delivery and a revert', async () => {
    const a = await h.newAccount();
    const nobody = await h.newAccount();
    const newPhone = h.freshPhone();
    const started = await call('startChange', {}, { accountId: a.accountId, newPhone, auth: 'two_factor', requestId: `api-${a.accountId}` });
    expect(started).toMatchObject({ status: 201, body: { accountId: a.accountId, requestId: `api-${a.accountId}`, state: 'awaiting_identity' } });
    const again = await call('startChange', {}, { accountId: a.accountId, newPhone, auth: 'two_factor', requestId: `api-${a.accountId}` });
    expect(again.body.requestId).toBe(`api-${a.accountId}`);
    expect((await call('startChange', {}, { accountId: 'acct-not-registered', newPhone, auth: 'two_factor' })).body).toMatchObject({ error: 'AccountNotFoundError' });
    expect((await call('startChange', {}, { accountId: a.accountId, newPhone: h.freshPhone(), auth: 'two_factor' })).status).toBe(409);
    const same = await h.newAccount();
    expect((await call('startChange', {}, { accountId: same.accountId, newPhone: same.phone, auth: 'two_factor' })).body).toMatchObject({ status: 422, error: 'SameNumberError', field: 'newPhone' });
    const requestId = `api-${a.accountId}`;

    expect((await call('getStatus', { accountId: a.accountId })).body).toMatchObject({ requestId, state: 'awaiting_identity' });
    expect((await call('getStatus', { accountId: nobody.accountId })).body).toMatchObject({ status: 404, error: 'ChangeNotFoundError' });

    const token = await h.linkTokenSentTo(a.phone, 'identity_link');
    const identity = { fullName: 'Иванова Анна Сергеевна', passport: '4510 123456' };
    expect((await call('confirmIdentity', { accountId: a.accountId }, { requestId: 'other-request', token, ...identity })).body).toMatchObject({
      status: 409,
      error: 'RequestIdConflictError',
      field: 'requestId',
    });
    expect((await call('confirmIdentity', { accountId: nobody.accountId }, { requestId, token, ...identity })).status).toBe(404);
    expect((await call('confirmIdentity', { accountId: a.accountId }, { requestId, token, ...identity })).body).toMatchObject({ outcome: 'confirmed', state: 'awaiting_old_number' });

    // OTP-3: inside the cooldown, 429 with Retry-After and retryAfterMs; after it, a new code.
    const early = await call('resendCode', { accountId: a.accountId }, { requestId, step: 'old' });
    expect(early.body).toMatchObject({ status: 429, error: 'ResendCooldownError' });
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(typeof early.body.retryAfterMs).toBe('number');
    const resent = await eventually(async () => {
      const r = await call('resendCode', { accountId: a.accountId }, { requestId, step: 'old' });
      return r.status === 200 ? r : undefined;
    }, 'the cooldown to pass');
    expect(resent.body).toMatchObject({ step: 'old', codesLeft: expect.any(Number) });
    expect((await call('resendCode', { accountId: nobody.accountId }, { requestId, step: 'old' })).status).toBe(404);
    expect((await call('resendCode', { accountId: a.accountId }, { requestId: 'other-request', step: 'old' })).status).toBe(409);

    const oldCode = await h.codeSentTo(a.phone, 2);
    expect((await call('submitCode', { accountId: a.accountId }, { requestId: 'other-request', step: 'old', code: oldCode })).status).toBe(409);
    expect((await call('submitCode', { accountId: nobody.accountId }, { requestId, step: 'old', code: oldCode })).status).toBe(404);
    expect((await call('submitCode', { accountId: a.accountId }, { requestId, step: 'old', code: oldCode })).body).toMatchObject({ outcome: 'accepted', state: 'awaiting_new_number' });
    expect((await call('submitCode', { accountId: a.accountId }, { requestId, step: 'new', code: await h.codeSentTo(newPhone) })).body).toMatchObject({ outcome: 'accepted' });
    await eventually(async () => (await call('getStatus', { accountId: a.accountId })).body.state === 'completed', 'the change to complete');

    const history = await call('getHistory', { accountId: a.accountId });
    expect((history.body.entries as { requestId: string }[]).some((e) => e.requestId === requestId)).toBe(true);
    expect(JSON.stringify(history.body)).not.toContain(newPhone);
    expect((await call('getLinkedServices', { accountId: a.accountId })).body).toMatchObject({ services: expect.any(Array) });
    expect((await call('getLinkedServices', { accountId: nobody.accountId })).status).toBe(404);

    expect((await call('getTestDelivery', { accountId: a.accountId })).status).toBe(404);
    expect((await call('confirmTestDelivery', { accountId: a.accountId }, { code: '123456' })).status).toBe(404);
    expect((await call('startTestDelivery', { accountId: a.accountId })).status).toBe(201);
    expect((await call('startTestDelivery', { accountId: a.accountId })).body).toMatchObject({ status: 409, error: 'TestDeliveryOpenError' });
    expect((await call('getTestDelivery', { accountId: a.accountId })).body).toMatchObject({ state: 'running' });
    const testCode = await eventually(() => h.smsTo(newPhone).find((m) => m.kind.includes('test')), 'the test code');
    expect((await call('confirmTestDelivery', { accountId: a.accountId }, { code: /\d{6}/.exec(testCode.text)![0] })).body).toMatchObject({ confirmed: true });
    await eventually(async () => (await call('getTestDelivery', { accountId: a.accountId })).body.state === 'finished', 'the test delivery to finish');

    const revertCred = await operatorToken({ account: a.accountId, requestId, action: 'support:revert' });
    expect((await call('supportRevert', { accountId: a.accountId }, { requestId: 'other-request', credential: revertCred, reason: 'owner called' })).status).toBe(409);
    expect((await call('supportRevert', { accountId: nobody.accountId }, { requestId, credential: revertCred, reason: 'owner called' })).status).toBe(404);
    const forged = await operatorToken({ account: a.accountId, requestId, action: 'support:revert', issuer: 'someone-else' });
    expect((await call('supportRevert', { accountId: a.accountId }, { requestId, credential: forged, reason: 'owner called' })).body).toMatchObject({ status: 403, error: 'OperatorCredentialError' });
    expect((await call('supportRevert', { accountId: a.accountId }, { requestId, credential: revertCred, reason: 'owner called' })).body).toMatchObject({ state: 'reverted' });
  });

  it('lost number: the queue, find by request id, an override; a reject by support; a cancel; "not me"; a recovery code', async () => {
    const b = await h.newAccount();
    const nobody = await h.newAccount();
    const rb = `api-${b.accountId}`;
    await call('startChange', {}, { accountId: b.accountId, newPhone: h.freshPhone(), auth: 'two_factor', requestId: rb });
    await h.passIdentity(b);
    expect((await call('reportOldNumberLost', { accountId: nobody.accountId }, { requestId: rb })).status).toBe(404);
    expect((await call('reportOldNumberLost', { accountId: b.accountId }, { requestId: 'other-request' })).status).toBe(409);
    expect((await call('reportOldNumberLost', { accountId: b.accountId }, { requestId: rb })).body).toMatchObject({ state: 'awaiting_support' });
    const queued = await eventually(async () => {
      const q = await call('supportQueue', {}, undefined);
      return (q.body.changes as { requestId: string; reason?: string }[]).find((c) => c.requestId === rb);
    }, 'the change in the support queue');
    expect(queued.reason).toBe('old_number_lost');
    await eventually(async () => (await call('supportFind', {}, { requestId: rb })).status === 200, 'find by request id');
    expect((await call('supportFind', {}, { requestId: 'NO-SUCH-REQUEST' })).body).toMatchObject({ status: 404, error: 'NotFound' });
    const cred = await operatorToken({ account: b.accountId, requestId: rb });
    const override = { method: 'service_centre_passport', evidenceRef: 'case-1', reason: 'passport checked' };
    expect((await call('supportOverride', { accountId: b.accountId }, { requestId: 'other-request', credential: cred, ...override })).status).toBe(409);
    expect((await call('supportOverride', { accountId: nobody.accountId }, { requestId: rb, credential: cred, ...override })).status).toBe(404);
    expect((await call('supportOverride', { accountId: b.accountId }, { requestId: rb, credential: cred, ...override })).body).toMatchObject({ state: 'awaiting_new_number' });

    const c = await h.newAccount();
    const rc = `api-${c.accountId}`;
    await call('startChange', {}, { accountId: c.accountId, newPhone: h.freshPhone(), auth: 'two_factor', requestId: rc });
    const rejectCred = await operatorToken({ account: c.accountId, requestId: rc, action: 'support:reject' });
    expect((await call('supportReject', { accountId: c.accountId }, { requestId: 'other-request', credential: rejectCred, reason: 'owner called' })).status).toBe(409);
    expect((await call('supportReject', { accountId: nobody.accountId }, { requestId: rc, credential: rejectCred, reason: 'owner called' })).status).toBe(404);
    expect((await call('supportReject', { accountId: c.accountId }, { requestId: rc, credential: rejectCred, reason: 'owner called' })).body).toMatchObject({ state: 'rejected' });

    const d = await h.newAccount();
    const rd = `api-${d.accountId}`;
    await call('startChange', {}, { accountId: d.accountId, newPhone: h.freshPhone(), auth: 'two_factor', requestId: rd });
    expect((await call('cancelChange', { accountId: d.accountId }, { requestId: 'other-request' })).status).toBe(409);
    expect((await call('cancelChange', { accountId: nobody.accountId }, { requestId: rd })).status).toBe(404);
    expect((await call('cancelChange', { accountId: d.accountId }, { requestId: rd, reason: 'changed my mind' })).body).toMatchObject({ state: 'cancelled' });

    const e = await h.newAccount();
    const re = `api-${e.accountId}`;
    await call('startChange', {}, { accountId: e.accountId, newPhone: h.freshPhone(), auth: 'two_factor', requestId: re });
    const notMe = await h.linkTokenSentTo(e.phone, 'requested');
    expect((await call('rejectByOwner', { accountId: e.accountId }, { requestId: 'other-request', token: notMe })).status).toBe(409);
    expect((await call('rejectByOwner', { accountId: nobody.accountId }, { requestId: re, token: notMe })).status).toBe(404);
    expect((await call('rejectByOwner', { accountId: e.accountId }, { requestId: re, token: notMe })).body).toMatchObject({ state: 'rejected' });

    const fId = `acct-rec-${Date.now().toString(36)}`;
    const f = await h.newAccount({ accountId: fId, recoveryCodeHashes: [hashRecoveryCode(PROOF_KEYS.recovery, fId, 'AB12CD34')] });
    const rf = `api-${f.accountId}`;
    await call('startChange', {}, { accountId: f.accountId, newPhone: h.freshPhone(), auth: 'two_factor', requestId: rf });
    await h.passIdentity(f);
    expect((await call('submitRecoveryCode', { accountId: f.accountId }, { requestId: 'other-request', code: 'AB12CD34' })).status).toBe(409);
    expect((await call('submitRecoveryCode', { accountId: nobody.accountId }, { requestId: rf, code: 'AB12CD34' })).status).toBe(404);
    expect((await call('submitRecoveryCode', { accountId: f.accountId }, { requestId: rf, code: 'AB12CD34' })).body).toMatchObject({ outcome: 'accepted', state: 'awaiting_new_number' });
  });

  it('REC-1 password reset: start (idempotent by request id), refusals, resend and its cooldown, a weak password, the code with the new password', async () => {
    const a = await h.newAccount();
    const nobody = await h.newAccount();
    const noEmail = await h.newAccount({ email: undefined });
    const requestId = `rst-${a.accountId}`.slice(0, 64);
    expect((await call('startPasswordReset', { accountId: 'acct-not-registered' }, {})).body).toMatchObject({ status: 404, error: 'AccountNotFoundError', field: 'accountId' });
    expect((await call('startPasswordReset', { accountId: noEmail.accountId }, {})).body).toMatchObject({ status: 422, error: 'NoEmailError' });
    expect((await call('startPasswordReset', { accountId: a.accountId }, { requestId })).body).toMatchObject({ requestId, kind: 'email_reset', state: 'awaiting_code' });
    expect((await call('startPasswordReset', { accountId: a.accountId }, { requestId })).body).toMatchObject({ requestId, state: 'awaiting_code' });
    expect((await call('startPasswordReset', { accountId: a.accountId }, { requestId: 'other-request' })).body).toMatchObject({ status: 409, error: 'RequestIdConflictError' });
    expect((await call('getPasswordReset', { accountId: a.accountId })).body).toMatchObject({ requestId, state: 'awaiting_code' });
    expect((await call('getPasswordReset', { accountId: nobody.accountId })).status).toBe(404);

    const early = await call('resendResetCode', { accountId: a.accountId }, { requestId });
    expect(early.body).toMatchObject({ status: 429, error: 'ResendCooldownError' });
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await eventually(async () => (await call('resendResetCode', { accountId: a.accountId }, { requestId })).status === 200, 'the reset cooldown to pass');
    expect((await call('resendResetCode', { accountId: nobody.accountId }, { requestId })).status).toBe(404);
    expect((await call('resendResetCode', { accountId: a.accountId }, { requestId: 'other-request' })).status).toBe(409);

    const mails = await h.smtp.waitFor((m) => m.to.includes(a.email!) && m.subject === 'Код для восстановления пароля', 2);
    const code = /\b(\d{6})\b/.exec(mails[1]!.text)![1]!;
    const password = 'Vesna-2026!Kotik';
    expect((await call('confirmPasswordReset', { accountId: nobody.accountId }, { requestId, code, newPassword: password })).status).toBe(404);
    expect((await call('confirmPasswordReset', { accountId: a.accountId }, { requestId: 'other-request', code, newPassword: password })).status).toBe(409);
    const weak = await call('confirmPasswordReset', { accountId: a.accountId }, { requestId, code, newPassword: 'aaaaaaaaaaaaaaaa' });
    expect(weak.body).toMatchObject({ status: 422, error: 'WeakPasswordError', field: 'password' });
    expect(JSON.stringify(weak.body)).not.toContain('aaaaaaaa');
    expect((await call('confirmPasswordReset', { accountId: a.accountId }, { requestId, code, newPassword: password })).body).toMatchObject({ outcome: 'accepted', state: 'completed' });
    expect((await call('getPasswordReset', { accountId: a.accountId })).body).toMatchObject({ state: 'completed' });
  });

  it('REC-2 support recovery: opened by the portal, login enabled by support with a credential for it (SEC-6), the first login replaces the temporary password; five wrong ones end in 429', async () => {
    const nobody = await h.newAccount();
    const b = await h.newAccount({ email: undefined });
    const rb = `rec-${b.accountId}`.slice(0, 64);
    expect((await call('startSupportRecovery', { accountId: b.accountId }, { requestId: rb })).body).toMatchObject({ requestId: rb, kind: 'support', state: 'awaiting_support' });
    expect((await call('startSupportRecovery', { accountId: b.accountId }, { requestId: 'other-request' })).body).toMatchObject({ status: 409, error: 'RequestIdConflictError' });
    expect((await call('getSupportRecovery', { accountId: b.accountId })).body).toMatchObject({ requestId: rb, state: 'awaiting_support' });
    expect((await call('getSupportRecovery', { accountId: nobody.accountId })).status).toBe(404);

    const newPhone = h.freshPhone();
    const decision = { method: 'service_centre_passport', evidenceRef: 'MFC-77-0042', reason: 'no e-mail, passport checked', newPhone };
    const cred = await operatorToken({ account: b.accountId, requestId: rb, action: 'support:recovery' });
    expect((await call('enableLogin', { accountId: nobody.accountId }, { requestId: rb, credential: cred, ...decision })).status).toBe(404);
    expect((await call('enableLogin', { accountId: b.accountId }, { requestId: 'other-request', credential: cred, ...decision })).status).toBe(409);
    const wrongAction = await operatorToken({ account: b.accountId, requestId: rb, action: 'support:override' });
    expect((await call('enableLogin', { accountId: b.accountId }, { requestId: rb, credential: wrongAction, ...decision })).body).toMatchObject({ status: 403, error: 'OperatorCredentialError' });
    expect((await call('enableLogin', { accountId: b.accountId }, { requestId: rb, credential: cred, ...decision })).body).toMatchObject({ state: 'awaiting_first_login', operator: { id: 'op-17' } });

    const sms = await eventually(() => h.smsTo(newPhone).find((m) => m.kind === 'temporary_password'), 'the temporary password SMS');
    const temporary = /пароль (\S+)\./.exec(sms.text)![1]!;
    const password = 'Leto-2026!Sobaka';
    expect((await call('firstLogin', { accountId: nobody.accountId }, { requestId: rb, temporaryPassword: temporary, newPassword: password })).status).toBe(404);
    expect((await call('firstLogin', { accountId: b.accountId }, { requestId: 'other-request', temporaryPassword: temporary, newPassword: password })).status).toBe(409);
    expect((await call('firstLogin', { accountId: b.accountId }, { requestId: rb, temporaryPassword: 'Wrong-Temp-0001', newPassword: password })).body).toMatchObject({
      status: 422,
      error: 'InvalidTokenError',
    });
    expect((await call('firstLogin', { accountId: b.accountId }, { requestId: rb, temporaryPassword: temporary, newPassword: password })).body).toMatchObject({ state: 'completed' });

    const c = await h.newAccount({ email: undefined });
    const rc = `rec-${c.accountId}`.slice(0, 64);
    await call('startSupportRecovery', { accountId: c.accountId }, { requestId: rc });
    const credC = await operatorToken({ account: c.accountId, requestId: rc, action: 'support:recovery' });
    expect((await call('enableLogin', { accountId: c.accountId }, { requestId: rc, credential: credC, ...decision, newPhone: h.freshPhone() })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await call('firstLogin', { accountId: c.accountId }, { requestId: rc, temporaryPassword: `Wrong-Temp-000${i}`, newPassword: password })).status).toBe(422);
    const limited = await call('firstLogin', { accountId: c.accountId }, { requestId: rc, temporaryPassword: 'Wrong-Temp-0009', newPassword: password });
    expect(limited.body).toMatchObject({ status: 429, error: 'RateLimitedError' });
  });

  it('every documented status of every operation was produced by the cases above', () => {
    for (const [id, op] of docOps) {
      const documented = Object.keys(op.responses).map(Number).sort();
      expect([...(seen.get(id) ?? [])].sort(), id).toEqual(documented);
    }
  });
});
