/**
 * Issue 15, point 5: a back end (or the API) that retries a message after a lost connection sends
 * it again. With the same idempotency key the retry carries the same update id and Temporal answers
 * it from the first update of the run: one effect (one attempt counted, one SMS) and the same
 * answer; a new key is a new message. Real Temporal dev server, NATS and worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, operatorToken, PROOF_KEYS, refusal, startHarness, wrongCode, type Harness } from '../support/harness';
import { startTestApi, type TestApi } from './api-harness';
import { RecoveryClient } from '../../client/recovery-client';
import { passwordPublicKey } from '../../activities/adapters/password-seal';
import type { PhoneChangeClient } from '../../client/phone-change-client';
import { InvalidInputError } from '../../workflows/domain/errors';

let h: Harness;
let client: PhoneChangeClient;
let api: TestApi;

beforeAll(async () => {
  h = await startHarness();
  client = await h.clientWith({ resendCooldownMs: 1000 });
  api = await startTestApi(h, client);
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

describe('issue 15: update ids from the caller’s idempotency key (OTP-2, OTP-3, REC-2)', () => {
  it('the same code sent twice with one key counts one attempt and gets the same answer, also when both are in flight at once; a new key counts again', async () => {
    const a = await h.newAccount();
    await client.start({ accountId: a.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
    const wrong = wrongCode(await h.codeSentTo(a.phone));
    const first = await client.submitCode(a.accountId, 'old', wrong, { idempotencyKey: 'msg-1' });
    const retry = await client.submitCode(a.accountId, 'old', wrong, { idempotencyKey: 'msg-1' });
    expect(first).toMatchObject({ outcome: 'wrong' });
    expect(retry).toEqual(first);
    const [x, y] = await Promise.all([client.submitCode(a.accountId, 'old', wrong, { idempotencyKey: 'msg-2' }), client.submitCode(a.accountId, 'old', wrong, { idempotencyKey: 'msg-2' })]);
    expect(y).toEqual(x);
    expect(x.attemptsLeft).toBe(first.attemptsLeft - 1);
    expect((await client.status(a.accountId)).state).toBe('awaiting_old_number');
    expect(await refusal(client.submitCode(a.accountId, 'old', wrong, { idempotencyKey: 'not a key!' }))).toBeInstanceOf(InvalidInputError);
  });

  it('"send again" retried with its key sends one SMS and answers the same', async () => {
    const a = await h.newAccount();
    await client.start({ accountId: a.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
    await h.codeSentTo(a.phone);
    // Refused inside the cooldown: a rejected update leaves no trace, so the same key works once it passes.
    const resent = await eventually(() => client.resend(a.accountId, 'old', { idempotencyKey: 'resend-1' }).catch(() => undefined), 'the cooldown to pass');
    await h.codeSentTo(a.phone, 2);
    await h.smsSettled();
    const sent = h.smsTo(a.phone).length;
    expect(await client.resend(a.accountId, 'old', { idempotencyKey: 'resend-1' })).toEqual(resent);
    await h.smsSettled();
    expect(h.smsTo(a.phone).length).toBe(sent);
  });

  it('over HTTP: the Idempotency-Key header makes a retried code submission one attempt with the same answer', async () => {
    const a = await h.newAccount();
    const { requestId } = await client.start({ accountId: a.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
    const wrong = wrongCode(await h.codeSentTo(a.phone));
    const send = (key: string) => api.call('POST', `/v1/accounts/${a.accountId}/change/code`, { requestId, step: 'old', code: wrong }, undefined, { 'idempotency-key': key });
    const first = await send('http-1');
    expect(first).toMatchObject({ status: 200, body: { outcome: 'wrong' } });
    expect((await send('http-1')).body).toEqual(first.body);
    expect((await send('http-2')).body).toMatchObject({ attemptsLeft: (first.body.attemptsLeft as number) - 1 });
  });

  it('REC-2: support’s decision retried with its key issues one temporary password and answers the same', async () => {
    const rc = new RecoveryClient({ client: h.temporal, taskQueue: client.taskQueue, passwordPublicKey: passwordPublicKey(PROOF_KEYS.passwords) });
    const a = await h.newAccount({ email: undefined });
    const opened = await rc.startSupportRecovery(a.accountId);
    const newPhone = h.freshPhone();
    const credential = await operatorToken({ account: a.accountId, requestId: opened.requestId, action: 'support:recovery' });
    const decision = { credential, method: 'service_centre_passport' as const, evidenceRef: 'MFC-1', reason: 'passport checked', newPhone };
    const first = await rc.enableLogin(a.accountId, decision, { idempotencyKey: 'enable-1' });
    expect(first.state).toBe('awaiting_first_login');
    expect(await rc.enableLogin(a.accountId, decision, { idempotencyKey: 'enable-1' })).toEqual(first);
    await eventually(() => h.smsTo(newPhone).some((m) => m.kind === 'temporary_password'), 'the temporary password');
    await h.smsSettled();
    expect(h.smsTo(newPhone).filter((m) => m.kind === 'temporary_password')).toHaveLength(1);
  });
});
