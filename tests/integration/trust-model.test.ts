/**
 * Issue 10, the trust model (SEC-5, SEC-6, SEC-7): each hole attacked as an outsider would, through
 * the public client, a raw Temporal client holding no payload key, or the decrypted history an
 * engineer can read. Each attack fails and leaves the change as it was.
 */
import { randomUUID, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { inject } from 'vitest';
import { DEFAULT_IDENTITY, eventually, operatorToken, PAYLOAD_KEYS, PROOF_KEYS, refusal, startHarness, wrongCode, type Harness } from '../support/harness';
import { AesGcmCodec } from '../../activities/adapters/payload-codec';
import { deriveCode, deriveProofKeys, deriveToken, hashIdentity, hashRecoveryCode } from '../../activities/codes';
import type { LinkedServiceMessage } from '../../activities/ports';
import { CodesExhaustedError, InvalidInputError, InvalidTokenError, RateLimitedError, RequestIdConflictError, TestDeliveryOpenError } from '../../workflows/domain/errors';
import { CITIZEN_MESSAGES_PER_CHANGE } from '../../workflows/phone-change/handlers';
import { startUpdate, workflowIdFor, type ChangeState } from '../../workflows/phone-change.defs';
import { toTypedError } from '../../client/phone-change-client';
import type { Account } from '../../activities/ports';

let h: Harness;
let raw: Connection;
/** A Temporal caller holding no payload key: it sees and sends payloads as they are. */
let keyless: Client;
beforeAll(async () => {
  h = await startHarness({ policy: { resendCooldownMs: 1 } }); // identity check on, as by default
  raw = await Connection.connect({ address: inject('temporalAddress') });
  keyless = new Client({ connection: raw });
});
afterAll(async () => {
  await raw?.close();
  await h?.close();
});

const codec = new AesGcmCodec(PAYLOAD_KEYS);

/** Every payload of a change's history, decrypted, as text: what an engineer with a codec token reads. */
async function decryptedHistory(accountId: string): Promise<string> {
  const history = await keyless.workflow.getHandle(workflowIdFor(accountId)).fetchHistory();
  const found: Payload[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && o.data instanceof Uint8Array) found.push(o as Payload);
    else for (const v of Object.values(o)) walk(v);
  };
  walk(history.events);
  const opened = await codec.decode(found);
  return opened.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
}

async function runId(accountId: string): Promise<string> {
  return (await h.temporal.workflow.getHandle(workflowIdFor(accountId)).describe()).runId;
}

async function stateOf(accountId: string): Promise<ChangeState> {
  return (await h.client.status(accountId)).state;
}

/** A change with the identity check: started, its link and reject token read from the SMS outbox. */
async function begin(overrides: Partial<Account> = {}) {
  const account = await h.newAccount(overrides);
  const newPhone = h.freshPhone();
  const ref = await h.client.start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
  return { account, newPhone, ref };
}

describe("issue 10: nothing in history or in a caller's hands passes a proof", () => {
  it('hole 1 SEC-5: values read from decrypted history pass no identity check, no code step and no "not me"; history holds nothing a proof is compared against', async () => {
    const { account, newPhone } = await begin();
    const link1 = await h.linkTokenSentTo(account.phone, 'identity_link');
    const rejectToken = await h.linkTokenSentTo(account.phone, 'requested');
    // The citizen mistypes once: the typed data and the spent link now sit (encrypted) in history.
    await h.client.confirmIdentity(account.accountId, { token: link1, ...DEFAULT_IDENTITY, passport: '4510 000001' });
    const link2 = await h.linkTokenSentTo(account.phone, 'identity_link', 2);
    const seen = await decryptedHistory(account.accountId);

    // An engineer who read it, and knows the real profile data from elsewhere, replays the link.
    expect(await refusal(h.client.confirmIdentity(account.accountId, { token: link1, ...DEFAULT_IDENTITY }))).toBeInstanceOf(InvalidTokenError);
    // Every token-shaped or hash-shaped value in history, tried as a "not me" token: refused.
    const candidates = [...new Set(seen.match(/[A-Za-z0-9_-]{16,64}/g) ?? [])].slice(0, 40);
    for (const c of candidates) expect(await refusal(h.client.rejectByOwner(account.accountId, c))).toBeInstanceOf(InvalidTokenError);
    expect(await stateOf(account.accountId)).toBe('awaiting_identity');

    // What a handler compares against never enters history: not the live link, the reject token,
    // the profile's identity hash, nor (later) the live codes.
    const identityHash = hashIdentity(PROOF_KEYS.identity, account.accountId, DEFAULT_IDENTITY);
    for (const secret of [link2, rejectToken, identityHash]) expect(seen).not.toContain(secret);
    await h.client.confirmIdentity(account.accountId, { token: link2, ...DEFAULT_IDENTITY });
    const old = await h.codeSentTo(account.phone);
    const afterIdentity = await decryptedHistory(account.accountId);
    expect(afterIdentity).not.toContain(old);
    expect(afterIdentity).not.toMatch(/\b[0-9a-f]{64}\b/); // no keyed hash of anything
    // A code typed wrong sits in history; it is wrong, and the live one is still not there.
    await h.client.submitCode(account.accountId, 'old', wrongCode(old));
    expect(await decryptedHistory(account.accountId)).not.toContain(old);
    await h.client.submitCode(account.accountId, 'old', old);
    expect(await h.client.submitCode(account.accountId, 'new', await h.codeSentTo(newPhone))).toMatchObject({ outcome: 'accepted', state: 'completed' });
  });

  it('hole 2 SEC-5: a client deriving codes or link tokens from the run id, with any key it could hold, gets nowhere', async () => {
    const { account } = await begin();
    await h.linkTokenSentTo(account.phone, 'identity_link');
    const run = await runId(account.accountId);
    // The client library takes no key at all; these are the keys an attacker might try: the old
    // development default, the payload key, a random one.
    const guesses = [Buffer.from('ZGV2ZWxvcG1lbnQtb25seS1rZXktLS1uZXZlci11c2UtaW4tcHJvZA', 'base64'), PAYLOAD_KEYS[0]!.key, randomBytes(32)].map((k) =>
      deriveProofKeys(Buffer.concat([k, Buffer.alloc(32)])),
    );
    for (const keys of guesses) {
      expect(await refusal(h.client.confirmIdentity(account.accountId, { token: deriveToken(keys.tokens, 'identity', run, 1), ...DEFAULT_IDENTITY }))).toBeInstanceOf(InvalidTokenError);
      expect(await refusal(h.client.rejectByOwner(account.accountId, deriveToken(keys.tokens, 'reject', run, 1)))).toBeInstanceOf(InvalidTokenError);
    }
    await h.passIdentity(account);
    const code = await h.codeSentTo(account.phone);
    const forged = guesses.map((keys) => deriveCode(keys.codes, run, 'old', 1)).find((c) => c !== code)!;
    expect(await h.client.submitCode(account.accountId, 'old', forged)).toMatchObject({ outcome: 'wrong', attemptsLeft: 2 });
    expect(await stateOf(account.accountId)).toBe('awaiting_old_number');
  });

  it("hole 3 SEC-6: an encrypted supportOverride copied from change A's history and replayed onto change B by a caller without the payload key is refused; B unchanged", async () => {
    const support = async () => {
      const { account, ref } = await begin();
      await h.client.reportOldNumberLost(account.accountId);
      return { account, ref };
    };
    const a = await support();
    const b = await support();
    const credential = await operatorToken({ account: a.account.accountId, requestId: a.ref.requestId });
    await h.client.supportOverride(a.account.accountId, { credential, method: 'video_verification', evidenceRef: 'video-1', reason: 'lost SIM' });
    // The attacker holds only ciphertext: the update's sealed arguments, as A's history has them.
    const events = (await keyless.workflow.getHandle(workflowIdFor(a.account.accountId)).fetchHistory()).events ?? [];
    const accepted = events.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes).find((u) => u?.acceptedRequest?.input?.name === 'supportOverride');
    const sealed = accepted!.acceptedRequest!.input!.args!.payloads!;
    expect(Buffer.from(sealed[0]!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    const response = await raw.workflowService.updateWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: workflowIdFor(b.account.accountId) },
      request: { meta: { updateId: randomUUID(), identity: 'attacker' }, input: { name: 'supportOverride', args: { payloads: sealed } } },
      waitPolicy: { lifecycleStage: 3 }, // completed
    });
    expect(response.outcome?.failure).toBeTruthy();
    const status = await h.client.status(b.account.accountId);
    expect(status.state).toBe('awaiting_support');
    expect(status.support?.override).toBeUndefined();
    const refused = await eventually(async () => (await h.client.history(b.account.accountId)).find((e) => e.kind === 'security_event'), 'security event on B');
    expect(['wrong_account', 'replayed']).toContain(refused.details?.reason);
  });

  it('hole 4 SEC-7: a start carrying a policy (identity check off, a day-long code, an endless change) is refused before anything is sent; revert takes no window from its caller', async () => {
    const account = await h.newAccount();
    const args = { accountId: account.accountId, requestId: `RQ${randomUUID().slice(0, 8)}`, newPhone: h.freshPhone(), auth: 'two_factor' as const };
    const withPolicy = { ...args, policy: { identityCheck: false, codeTtlMs: 86_400_000, changeTtlMs: 1e300 } };
    const startWorkflowOperation = new WithStartWorkflowOperation('phoneChange', {
      workflowId: workflowIdFor(account.accountId),
      taskQueue: h.taskQueue,
      args: [withPolicy],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const err = await refusal(
      h.temporal.workflow
        .executeUpdateWithStart(startUpdate, { args: [{ requestId: args.requestId, newPhone: args.newPhone, auth: args.auth }], startWorkflowOperation })
        .catch((e: unknown) => Promise.reject(toTypedError(e))),
    );
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).field).toBe('policy');
    expect(await stateOf(account.accountId)).toBe('refused');
    await h.smsSettled();
    expect(h.smsTo(account.phone)).toHaveLength(0);
    // A revert started straight on Temporal with its own window: refused, the number stays.
    const done = await h.newAccount();
    const ref = await h.completeChange(done, h.freshPhone(), await h.clientWith({ identityCheck: false }));
    const outcome = await h.temporal.workflow.execute('phoneRevert', {
      workflowId: `phone-revert/${done.accountId}/${ref.requestId}`,
      taskQueue: h.taskQueue,
      args: [
        {
          accountId: done.accountId,
          requestId: ref.requestId,
          credential: await operatorToken({ account: done.accountId, requestId: ref.requestId, action: 'support:revert' }),
          reason: 'fraud',
          windowMs: 1e300,
        },
      ],
    });
    expect(outcome).toMatchObject({ state: 'refused', failure: { type: 'InvalidInputError', details: { field: 'windowMs' } } });
    expect((await h.services.deps.registry.getAccount(done.accountId))?.value.phone).not.toBe(done.phone);
  });

  it('hole 5: signals and updates with a payload no one can read (invalid JSON, an unknown key id, an unknown encoding) neither fail a workflow task nor move the change; status and cancel still answer', async () => {
    const { account } = await begin();
    await h.linkTokenSentTo(account.phone, 'identity_link');
    const before = await h.client.status(account.accountId);
    const enc = (s: string) => new TextEncoder().encode(s);
    const bad: Payload[] = [
      { metadata: { encoding: enc('json/plain') }, data: enc('{"step": "old", "code": ') },
      { metadata: { encoding: enc('binary/encrypted'), 'encryption-key-id': enc('no-such-key') }, data: randomBytes(64) },
      { metadata: { encoding: enc('application/x-evil') }, data: enc('1') },
    ];
    const workflowExecution = { workflowId: workflowIdFor(account.accountId) };
    for (const p of bad) {
      await raw.workflowService.signalWorkflowExecution({ namespace: 'default', workflowExecution, signalName: 'confirmIdentity', input: { payloads: [p] }, identity: 'attacker' });
      const r = await raw.workflowService.updateWorkflowExecution({
        namespace: 'default',
        workflowExecution,
        request: { meta: { updateId: randomUUID(), identity: 'attacker' }, input: { name: 'confirmIdentity', args: { payloads: [p] } } },
        waitPolicy: { lifecycleStage: 3 },
      });
      expect(r.outcome?.failure).toBeTruthy();
    }
    const events = (await keyless.workflow.getHandle(workflowExecution.workflowId).fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    expect(await h.client.status(account.accountId)).toEqual(before);
    expect((await h.client.cancel(account.accountId)).state).toBe('cancelled');
  });

  it('hole 9 REC-3: wrong recovery codes are limited and told; the limit cannot be passed; a right code works after wrong ones', async () => {
    const account = await h.newAccount({ recoveryCodeHashes: [] });
    const found = await h.services.deps.registry.getAccount(account.accountId);
    await h.services.deps.registry.putAccount({ ...found!.value, recoveryCodeHashes: [hashRecoveryCode(PROOF_KEYS.recovery, account.accountId, 'AB12CD34')] }, found!.revision);
    const via = await h.clientWith({ identityCheck: false });
    await via.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' });
    expect(await h.client.submitRecoveryCode(account.accountId, 'ZZZZ0001')).toMatchObject({ outcome: 'wrong', attemptsLeft: 2 });
    expect(await h.client.submitRecoveryCode(account.accountId, 'ZZZZ0002')).toMatchObject({ outcome: 'wrong', attemptsLeft: 1 });
    expect(await h.client.submitRecoveryCode(account.accountId, 'ZZZZ0003')).toMatchObject({ outcome: 'exhausted', attemptsLeft: 0 });
    // Even the right code is refused now, before it reaches history.
    expect(await refusal(h.client.submitRecoveryCode(account.accountId, 'AB12CD34'))).toBeInstanceOf(CodesExhaustedError);
    expect((await h.services.deps.registry.getAccount(account.accountId))?.value.recoveryCodeHashes).toHaveLength(1);
    const kinds = (await h.client.history(account.accountId)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'wrong_code')).toHaveLength(3);
  });

  it('hole 9 AFTER-2: a test code has limited guesses; a second test while one runs is a typed refusal', async () => {
    const account = await h.newAccount();
    await h.client.startTestDelivery(account.accountId);
    expect(await refusal(h.client.startTestDelivery(account.accountId))).toBeInstanceOf(TestDeliveryOpenError);
    const sms = await eventually(() => h.smsTo(account.phone).find((m) => m.kind === 'code_test'), 'test code');
    const code = /\d{6}/.exec(sms.text)![0];
    for (const i of [1, 2, 3]) expect((await h.client.confirmTestDelivery(account.accountId, ((Number(code) + i) % 1e6).toString().padStart(6, '0'))).confirmed).toBe(false);
    expect(await refusal(h.client.confirmTestDelivery(account.accountId, code))).toBeInstanceOf(CodesExhaustedError);
    expect((await h.client.testDeliveryResult(account.accountId)).confirmed).toBe(false);
  });

  it('hole 11 DONE-4: a revert stops the linked-service sync, and every service learns the restored number', async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    const told: LinkedServiceMessage[] = [];
    const sub = h.services.nc.subscribe('linked.*.phone_changed', { callback: (_e, m) => void told.push(m.json<LinkedServiceMessage>()) });
    try {
      const ref = await h.completeChange(account, newPhone, await h.clientWith({ identityCheck: false }));
      await eventually(() => told.filter((m) => m.requestId === ref.requestId && !m.reverted).length >= 5, 'services told the new number');
      await h.client.revert(account.accountId, ref.requestId, await operatorToken({ account: account.accountId, requestId: ref.requestId, action: 'support:revert' }), 'fraud');
      const restored = await eventually(() => {
        const r = told.filter((m) => m.requestId === ref.requestId && m.reverted);
        return r.length >= 5 && r;
      }, 'services told the restored number');
      expect(restored.every((m) => m.newPhone === account.phone)).toBe(true);
      const sync = await eventually(async () => {
        const st = await h.client.linkedStatus(account.accountId, ref.requestId);
        return st.state === 'reverted' && st;
      }, 'the sync stopped as reverted');
      expect(sync.state).toBe('reverted');
      // A forged "reverted" signal to another change's sync stops nothing.
      const other = await h.newAccount();
      const otherRef = await h.completeChange(other, h.freshPhone(), await h.clientWith({ identityCheck: false }));
      const otherSync = h.temporal.workflow.getHandle(`linked-sync/${other.accountId}/${otherRef.requestId}`);
      await otherSync.signal('linkedReverted');
      // Handled: the registry was asked (an activity after the signal: local since v7, so a marker) and said "not reverted".
      await eventually(async () => {
        const events = (await otherSync.fetchHistory()).events ?? [];
        const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'linkedReverted');
        return signalled >= 0 && events.slice(signalled).some((e) => e.activityTaskCompletedEventAttributes || e.markerRecordedEventAttributes);
      }, 'the forged signal handled');
      expect((await h.client.linkedStatus(other.accountId, otherRef.requestId)).state).toBe('syncing');
      expect(told.filter((m) => m.requestId === otherRef.requestId && m.reverted)).toEqual([]);
    } finally {
      sub.unsubscribe();
    }
  });

  it('SEC-7: a linked-service sync started straight on Temporal with a 1 ms reminder and an endless wait is refused; services hear nothing from it', async () => {
    const account = await h.newAccount();
    const ref = await h.completeChange(account, h.freshPhone(), await h.clientWith({ identityCheck: false }));
    const told: LinkedServiceMessage[] = [];
    const sub = h.services.nc.subscribe('linked.*.phone_changed', { callback: (_e, m) => void told.push(m.json<LinkedServiceMessage>()) });
    try {
      const workflowId = `linked-sync/${account.accountId}/${ref.requestId}-flood`;
      const handle = await h.temporal.workflow.start('linkedSync', {
        workflowId,
        taskQueue: h.taskQueue,
        args: [{ accountId: account.accountId, requestId: ref.requestId, waitMs: 1e300, remindEveryMs: 1 }],
      });
      expect(await handle.result()).toMatchObject({ state: 'not_synced', services: [], reminders: 0 });
      for (const bad of [null, { accountId: account.accountId, requestId: Number.NaN }, { accountId: 'x'.repeat(100_000), requestId: ref.requestId }]) {
        const other = await h.temporal.workflow.start('linkedSync', { workflowId: `${workflowId}-${randomUUID()}`, taskQueue: h.taskQueue, args: [bad] });
        expect(await other.result()).toMatchObject({ state: 'not_synced', reminders: 0 });
      }
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
      expect(told.filter((m) => m.attempt > 0)).toEqual([]);
    } finally {
      sub.unsubscribe();
    }
  });

  it('hole 13 PRE-4: a repeated request id with another number is a typed conflict; reused after the change ended, too', async () => {
    const account = await h.newAccount();
    const via = await h.clientWith({ identityCheck: false });
    const requestId = `RQ${randomUUID().slice(0, 8)}`;
    const ref = await via.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor', requestId });
    expect(await refusal(via.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor', requestId }))).toBeInstanceOf(RequestIdConflictError);
    await h.client.cancel(account.accountId);
    await h.client.result(account.accountId);
    const again = await refusal(via.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor', requestId }));
    expect(again).toBeInstanceOf(RequestIdConflictError);
    expect(ref.requestId).toBe(requestId);
  });

  it('hole 14: a 2 MB (and a 3.9 MB) cancel reason sent straight to Temporal while another update is in flight is refused; the change stays open', async () => {
    const { account } = await begin();
    await h.linkTokenSentTo(account.phone, 'identity_link');
    const handle = h.temporal.workflow.getHandle(workflowIdFor(account.accountId));
    const inFlight = h.client.reportOldNumberLost(account.accountId);
    // Up to what the server's gRPC limit lets through (4 MB): refused by the validator, and the
    // rejection (which carries the request back) stays under the server's blob limit (temporal-config).
    for (const mb of [2, 3.9]) expect(await refusal(handle.executeUpdate('cancel', { args: [{ reason: 'x'.repeat(mb * 1024 * 1024) }] }))).toBeTruthy();
    await inFlight;
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(await stateOf(account.accountId)).toBe('awaiting_support');
    // Odd input at the client: typed errors, nothing sent.
    expect(await refusal(h.client.cancel(account.accountId, (() => 'x') as never))).toBeInstanceOf(InvalidInputError);
    expect(await refusal(h.client.start(null as never))).toBeInstanceOf(InvalidInputError);
    expect(await refusal(h.client.submitCode(account.accountId, 'old', null as never))).toBeInstanceOf(InvalidInputError);
    expect(await stateOf(account.accountId)).toBe('awaiting_support');
  });

  it("hole 14: a flood of messages cannot grow a change's history to the server's limit: the citizen's side is capped per change, cancel still works", async () => {
    const { account } = await begin();
    await h.linkTokenSentTo(account.phone, 'identity_link');
    const forged = (i: number) => `forgedTOKEN${String(i).padStart(5, '0')}`;
    for (let i = 0; i < CITIZEN_MESSAGES_PER_CHANGE; i++) expect(await refusal(h.client.rejectByOwner(account.accountId, forged(i)))).toBeInstanceOf(InvalidTokenError);
    const capped = await refusal(h.client.rejectByOwner(account.accountId, forged(999)));
    expect(capped).toBeInstanceOf(RateLimitedError);
    expect((capped as RateLimitedError).details.scope).toBe('messagesPerChange');
    expect(await refusal(h.client.submitCode(account.accountId, 'old', '123456'))).toBeTruthy();
    expect((await h.client.cancel(account.accountId)).state).toBe('cancelled');
    const events = (await keyless.workflow.getHandle(workflowIdFor(account.accountId)).fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
  });

  it('hole 15: the visibility query is built from typed values only: text with a quote is refused', async () => {
    const err = await refusal(h.client.list("awaiting_support' OR WorkflowType = 'phoneChange" as never));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).field).toBe('state');
    expect(await refusal(h.client.list('awaiting_support', 1e9))).toBeInstanceOf(InvalidInputError);
    expect(await refusal(h.client.findByRequestId("x' OR 'a' = 'a"))).toBeInstanceOf(InvalidInputError);
  });

  it('SEC-5: the payload converter still reads what honest callers send (control for the attacks above)', () => {
    expect(defaultPayloadConverter.fromPayload(defaultPayloadConverter.toPayload({ a: 1 }))).toEqual({ a: 1 });
  });
});
