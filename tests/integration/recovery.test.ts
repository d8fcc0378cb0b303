/**
 * REC-1, REC-2 end to end: a worker process (workers/main.ts, debug logs captured), the CLI and the
 * client library against real Temporal, NATS and SMTP. A password never appears in workflow
 * history (decrypted), logs, events, the account history or mail, in clear, base64 or hex, and
 * neither does its hash.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import { checkLogin } from '../../activities/passwords';
import { passwordPublicKey, sealPassword } from '../../activities/adapters/password-seal';
import { AesGcmCodec } from '../../activities/adapters/payload-codec';
import { RecoveryClient } from '../../client/recovery-client';
import { InvalidInputError, InvalidTokenError, NoEmailError, OperatorCredentialError, WeakPasswordError } from '../../workflows/domain/errors';
import { passwordResetWorkflowId, resetPasswordUpdate, supportRecoveryWorkflowId } from '../../workflows/recovery.defs';
import { eventually, operatorToken, PAYLOAD_KEYS, processEnv, PROOF_KEYS, refusal, startHarness, type Harness } from '../support/harness';
import { spawnCapturedWorker, type CapturedWorker } from '../support/worker-process';

const run = promisify(execFile);
let h: Harness;
let worker: CapturedWorker;
let rc: RecoveryClient;
const env = (extra: NodeJS.ProcessEnv = {}) => processEnv(h, { LOG_LEVEL: 'debug', ...extra });

beforeAll(async () => {
  h = await startHarness({ startWorker: false });
  worker = spawnCapturedWorker(env());
  rc = new RecoveryClient({ client: h.temporal, taskQueue: h.taskQueue, passwordPublicKey: passwordPublicKey(PROOF_KEYS.passwords) });
});
afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

async function cli(extra: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'client/cli.ts', ...args], { env: env(extra) });
  return stdout + stderr;
}

/** Every payload of a workflow's history, decrypted with the payload keys, as text. */
async function decryptedHistory(workflowId: string): Promise<string> {
  const codec = new AesGcmCodec(PAYLOAD_KEYS);
  const history = await h.temporal.workflow.getHandle(workflowId).fetchHistory();
  const payloads: Payload[] = [];
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    if (v instanceof Uint8Array) return;
    const o = v as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') payloads.push(o as Payload);
    else for (const x of Object.values(o)) walk(x);
  };
  walk(history);
  const decoded = await codec.decode(payloads);
  return decoded.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
}

/** Fails when `secret` shows in `text` in clear, base64, base64url or hex. */
function expectAbsent(text: string, secret: string, where: string): void {
  const b = Buffer.from(secret, 'utf8');
  for (const form of [secret, b.toString('base64'), b.toString('base64url'), b.toString('hex'), JSON.stringify(secret).slice(1, -1)]) {
    expect(text.includes(form), `${where} holds the secret (as ${form === secret ? 'clear text' : 'an encoding'})`).toBe(false);
  }
}

const codeFromMail = async (email: string, n = 1) => {
  const mails = await h.smtp.waitFor((m) => m.to.includes(email) && m.subject === 'Код для восстановления пароля', n);
  return /\b(\d{6})\b/.exec(mails[n - 1]!.text)![1]!;
};

describe('access recovery (REC-1, REC-2)', () => {
  it('REC-1: password reset by a code to the bound e-mail (CLI), strength rules, Argon2id hash only, sessions told to end; then the phone change as usual; the password is nowhere in history, logs, events or mail', async () => {
    const account = await h.newAccount();
    const password = 'Vesna-2026!Kotik';
    let out = await cli({}, 'password-reset', 'start', '--account', account.accountId);
    expect(out).toContain('"state": "awaiting_code"');
    const code = await codeFromMail(account.email!);
    // Typed refusals: a weak password with the right code costs no attempt; a wrong code is counted.
    expect(await refusal(rc.resetPassword(account.accountId, code, 'short1A!'))).toBeInstanceOf(WeakPasswordError);
    const weak = (await refusal(rc.resetPassword(account.accountId, code, 'aaaaaaaaaaaaaaaa'))) as WeakPasswordError;
    expect(weak.details).toMatchObject({ field: 'password', rule: 'variety' });
    expect(await rc.resetPassword(account.accountId, code === '000000' ? '000001' : '000000', password)).toMatchObject({ outcome: 'wrong', attemptsLeft: 2 });
    out = await cli({ NEW_PASSWORD: password }, 'password-reset', 'confirm', code, '--account', account.accountId);
    expect(out).toContain('"outcome": "accepted"');
    expect((await rc.passwordResetStatus(account.accountId)).state).toBe('completed');

    const stored = (await h.services.deps.registry.getAccount(account.accountId))!.value;
    expect(stored.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await checkLogin(stored, password)).toBe('ok');
    expect(await checkLogin(stored, 'Vesna-2026!Kotiq')).toBe('wrong');
    await eventually(() => h.events.items.some((e) => e.accountId === account.accountId && e.type === 'sessions_end'), 'the sessions_end event');
    await h.smtp.waitFor((m) => m.to.includes(account.email!) && m.subject === 'Пароль изменён');
    expect((await h.client.history(account.accountId)).map((e) => e.kind)).toEqual(expect.arrayContaining(['reset_code_sent', 'password_changed']));

    // Then the phone change as usual.
    await h.completeChange(account, h.freshPhone());

    const history = await decryptedHistory(passwordResetWorkflowId(account.accountId));
    expect(history).toContain('"password":"v1.'); // the sealed blob, which only the worker opens
    const events = JSON.stringify(h.events.items.filter((e) => e.accountId === account.accountId));
    const accountHistory = JSON.stringify(await h.client.history(account.accountId));
    const mail = JSON.stringify(h.smtp.received.filter((m) => m.to.includes(account.email!)));
    for (const [where, text] of Object.entries({ 'workflow history': history, 'worker log': worker.output(), 'CLI output': out, events, 'account history': accountHistory, mail })) {
      expectAbsent(text, password, where);
      expectAbsent(text, stored.passwordHash!, where);
      if (where !== 'mail') expectAbsent(text, code, where); // the code travelled sealed, never in clear
    }
  }, 180_000); // two CLI processes and a whole change: slow on a loaded machine

  it('REC-1 attacker: a password sealed for another account or recovery, a forged blob, or raw unsealed text changes nothing', async () => {
    const account = await h.newAccount();
    const victimHashBefore = (await h.services.deps.registry.getAccount(account.accountId))!.value.passwordHash;
    await rc.startPasswordReset(account.accountId);
    const code = await codeFromMail(account.email!);
    const handle = h.temporal.workflow.getHandle(passwordResetWorkflowId(account.accountId));
    const key = passwordPublicKey(PROOF_KEYS.passwords);
    const other = sealPassword(key, { accountId: 'someone-else', requestId: 'REQ0000001', password: 'Attacker-Chosen-9!', code });
    expect(await refusal(handle.executeUpdate(resetPasswordUpdate, { args: [{ password: other }] }))).toBeDefined();
    expect(await refusal(handle.executeUpdate(resetPasswordUpdate, { args: [{ password: 'Attacker-Chosen-9!' }] }))).toBeDefined();
    expect(await refusal(handle.executeUpdate(resetPasswordUpdate, { args: [{ password: 'v1.' + 'A'.repeat(43) + '.' + 'B'.repeat(16) + '.' + 'C'.repeat(60) }] }))).toBeDefined();
    expect(await refusal(handle.executeUpdate(resetPasswordUpdate, { args: [{ password: 'x'.repeat(3_000_000) }] }))).toBeDefined();
    expect(await refusal(handle.executeUpdate(resetPasswordUpdate, { args: [null as never] }))).toBeDefined();
    expect((await rc.passwordResetStatus(account.accountId)).state).toBe('awaiting_code');
    expect((await h.services.deps.registry.getAccount(account.accountId))!.value.passwordHash).toBe(victimHashBefore);
  });

  it('REC-2: without e-mail, support (credential bound to the action, LOST-2 method and evidence) enables login; a temporary password goes by SMS to the new number, must be changed at first login and expires; all in the history', async () => {
    const account = await h.newAccount({ email: undefined });
    const refused = await rc.startPasswordReset(account.accountId);
    expect(refused).toMatchObject({ state: 'refused', failure: { type: 'NoEmailError' } });
    expect(NoEmailError.name).toBe('NoEmailError');
    const opened = await rc.startSupportRecovery(account.accountId);
    expect(opened.state).toBe('awaiting_support');
    const newPhone = h.freshPhone();
    const decision = { method: 'service_centre_passport' as const, evidenceRef: 'MFC-77-0042', reason: 'no e-mail, passport checked', newPhone };
    const forged = await refusal(rc.enableLogin(account.accountId, { ...decision, credential: 'a.b.c' }));
    expect(forged).toBeInstanceOf(OperatorCredentialError);
    const wrongAction = await operatorToken({ account: account.accountId, requestId: opened.requestId, action: 'support:override' });
    expect(await refusal(rc.enableLogin(account.accountId, { ...decision, credential: wrongAction }))).toBeInstanceOf(OperatorCredentialError);
    expect(await refusal(rc.enableLogin(account.accountId, { ...decision, newPhone: '12', credential: wrongAction }))).toBeInstanceOf(InvalidInputError);

    const credential = await operatorToken({ account: account.accountId, requestId: opened.requestId, action: 'support:recovery', name: 'Петрова' });
    const out = await cli(
      { OPERATOR_TOKEN: credential },
      'support',
      'recovery',
      '--account',
      account.accountId,
      '--method',
      'service_centre_passport',
      '--evidence',
      'MFC-77-0042',
      '--reason',
      'no e-mail, passport checked',
      '--phone',
      newPhone,
    );
    expect(out).toContain('"state": "awaiting_first_login"');
    const sms = await eventually(() => h.smsTo(newPhone).find((m) => m.kind === 'temporary_password'), 'the temporary password SMS');
    const temporary = /пароль (\S+)\./.exec(sms.text)![1]!;
    const stored = (await h.services.deps.registry.getAccount(account.accountId))!.value;
    expect(await checkLogin(stored, temporary)).toBe('must_change');
    expect(await checkLogin(stored, temporary, Date.now() + 25 * 3_600_000)).toBe('expired');

    expect(await refusal(rc.replaceTemporaryPassword(account.accountId, 'Wrong-Temp-0001', 'Leto-2026!Sobaka'))).toBeInstanceOf(InvalidTokenError);
    expect(await refusal(rc.replaceTemporaryPassword(account.accountId, temporary, 'weak'))).toBeInstanceOf(WeakPasswordError);
    const done = await rc.replaceTemporaryPassword(account.accountId, temporary, 'Leto-2026!Sobaka');
    expect(done).toMatchObject({ state: 'completed', operator: { id: 'op-17', name: 'Петрова' } });
    const after = (await h.services.deps.registry.getAccount(account.accountId))!.value;
    expect(await checkLogin(after, 'Leto-2026!Sobaka')).toBe('ok');
    expect(await checkLogin(after, temporary)).toBe('wrong');

    const entries = await h.client.history(account.accountId);
    expect(entries.find((e) => e.kind === 'login_enabled_by_support')).toMatchObject({
      actor: 'op-17 (Петрова)',
      details: { operator: 'op-17 (Петрова)', method: 'service_centre_passport', evidenceRef: 'MFC-77-0042' },
    });
    expect(entries.map((e) => e.kind)).toContain('password_changed');
    const history = await decryptedHistory(supportRecoveryWorkflowId(account.accountId));
    for (const [where, text] of Object.entries({ 'workflow history': history, 'worker log': worker.output(), 'CLI output': out, 'account history': JSON.stringify(entries) })) {
      expectAbsent(text, temporary, where);
      expectAbsent(text, 'Leto-2026!Sobaka', where);
      expectAbsent(text, after.passwordHash!, where);
    }
  }, 180_000);
});
