/**
 * REC-1, REC-2: passwords. A reset code goes to the bound e-mail (derived like every code from the
 * worker-only key, judged by `verifyCode`); a new password arrives sealed to the worker's password
 * key, is opened here only to check the strength rules and hash it with Argon2id (@node-rs/argon2,
 * OWASP parameters), and only the hash is stored. No activity returns anything of a password, and
 * history entries and events say that a password changed, never what it is. A changed password
 * ends every session of the account: `phone.change.sessions_end`.
 */
import { createHmac } from 'node:crypto';
import { hash, verify, Algorithm } from '@node-rs/argon2';
import { maskEmail } from '../workflows/domain/mask';
import { NoEmailError, AccountNotFoundError, WeakPasswordError } from '../workflows/domain/errors';
import { currentRun, dedupId } from './context';
import { deriveCode, deriveTemporaryPassword, sameSecret } from './codes';
import { updateAccount } from './compare-and-set';
import { admitter } from './limits';
import { openPassword } from './adapters/password-seal';
import type { ActivityDeps, Language } from './ports';
import type { ChannelName } from '../workflows/domain/channels';
import { passwordChangedText, resetCodeText, temporaryPasswordText } from './templates/account';
import { textToHtml } from './templates/email';

/** OWASP's Argon2id minimum (m=19 MiB, t=2, p=1). */
const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;
const COMMON = ['password', 'qwerty', '123456', 'gosuslugi', 'admin', 'letmein', 'welcome', 'йцукен'];
/** REC-2: how long a temporary password works. */
export const TEMPORARY_PASSWORD_TTL_MS = 24 * 3_600_000;

/** The strength rules; undefined when the password passes them. */
export function passwordProblem(password: string, context: { accountId: string; email?: string }): { rule: string; message: string } | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return { rule: 'length', message: `the password needs at least ${PASSWORD_MIN} characters` };
  if (length > PASSWORD_MAX) return { rule: 'length', message: `the password may have at most ${PASSWORD_MAX} characters` };
  const classes = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{L}\p{Nd}]/u].filter((r) => r.test(password)).length;
  if (classes < 3 && length < 20) return { rule: 'variety', message: 'use three of: lower case, upper case, digits, symbols (or at least 20 characters)' };
  if (new Set(password).size < 6) return { rule: 'variety', message: 'the password repeats too few characters' };
  const lower = password.toLowerCase();
  const personal = [context.accountId, context.email?.split('@')[0]].filter((x): x is string => !!x && x.length >= 4).map((x) => x.toLowerCase());
  if (personal.some((x) => lower.includes(x))) return { rule: 'personal', message: 'the password may not contain the account name or e-mail' };
  if (COMMON.some((w) => lower.includes(w))) return { rule: 'common', message: 'the password contains a commonly guessed word' };
  return undefined;
}

export const hashPassword = (password: string) => hash(password, ARGON2);

/** What a login with `password` would get: the portal's login calls this in the worker's process (tests do too). */
export async function checkLogin(stored: { passwordHash?: string; temporaryPasswordExpiresAt?: string }, password: string, now = Date.now()): Promise<'ok' | 'must_change' | 'expired' | 'wrong'> {
  if (!stored.passwordHash || !(await verify(stored.passwordHash, password))) return 'wrong';
  if (stored.temporaryPasswordExpiresAt === undefined) return 'ok';
  return Date.parse(stored.temporaryPasswordExpiresAt) > now ? 'must_change' : 'expired';
}

export interface ResetCodeRequest {
  accountId: string;
  requestId: string;
  seq: number;
  ttlMinutes: number;
}

export interface SetPasswordRequest {
  accountId: string;
  requestId: string;
  /** Sealed by the client to the worker's password key. */
  sealed: string;
  kind: 'email_reset' | 'first_login';
  /** REC-1: which reset code is current (the sealed code must be that one). */
  seq?: number;
}

export interface TemporaryPasswordRequest {
  accountId: string;
  requestId: string;
  newPhone: string;
  operator: string;
  method: string;
  evidenceRef: string;
  reason: string;
}

export function createPasswordActivities(deps: Pick<ActivityDeps, 'registry' | 'history' | 'events' | 'mailer' | 'push' | 'sms' | 'keys' | 'limiter' | 'limits'>) {
  const { registry, history, events, keys } = deps;
  const admit = admitter(deps.limiter, deps.limits);
  const record = (accountId: string, requestId: string, kind: string, text: string, key: string, details?: Record<string, string>, channels: ChannelName[] = [], actor?: string) =>
    history.append(accountId, { at: new Date().toISOString(), kind, requestId, channels, text, details, actor }, dedupId(key));

  /** REC-1: the account has an e-mail to reset by (the address stays in the worker). */
  async function loadRecoveryAccount(req: { accountId: string }): Promise<{ language: Language; emailMasked: string }> {
    const found = await registry.getAccount(req.accountId);
    if (!found) throw new AccountNotFoundError('no such account', { field: 'accountId' });
    if (!found.value.email) throw new NoEmailError('the account has no bound e-mail: support can restore access (REC-2)', { field: 'accountId' });
    return { language: found.value.language, emailMasked: maskEmail(found.value.email) };
  }

  /** REC-1: reset code number `seq` to the bound e-mail, counted like codes to a number. */
  async function sendResetCode(req: ResetCodeRequest): Promise<void> {
    const account = (await registry.getAccount(req.accountId))?.value;
    if (!account?.email) throw new NoEmailError('the account has no bound e-mail', { field: 'accountId' });
    const code = deriveCode(keys.codes, currentRun().runId, 'reset', req.seq);
    const key = `reset-code-${req.seq}`;
    const subject = createHmac('sha256', keys.limits).update(`email|${account.email.toLowerCase()}`).digest('base64url');
    await admit('codesPerNumber', subject, dedupId(key));
    const t = resetCodeText[account.language](code, req.ttlMinutes);
    await deps.mailer.send({ to: account.email, kind: 'reset_code', subject: t.subject, text: t.text, html: textToHtml(t.text) }, dedupId(key));
    await record(req.accountId, req.requestId, 'reset_code_sent', `password reset code ${req.seq} sent to ${maskEmail(account.email)}`, key, undefined, ['email']);
  }

  /**
   * REC-1, REC-2: opens the sealed password and judges the proof sealed with it (the e-mail code of
   * a reset, or the temporary password at first login): `{ match: false }` when it fails. Then the
   * rules, and only the Argon2id hash is stored; sessions end.
   */
  async function setPassword(req: SetPasswordRequest): Promise<{ match: boolean }> {
    const opened = openPassword(keys.passwords, req.sealed);
    if (!opened || opened.accountId !== req.accountId || opened.requestId !== req.requestId) {
      throw new WeakPasswordError('the password is not sealed for this recovery: seal it with the client library', { field: 'password', rule: 'sealed' });
    }
    const found = await registry.getAccount(req.accountId);
    if (!found) throw new AccountNotFoundError('no such account', { field: 'accountId' });
    if (req.kind === 'email_reset') {
      if (req.seq === undefined || opened.code === undefined || !sameSecret(opened.code, deriveCode(keys.codes, currentRun().runId, 'reset', req.seq))) return { match: false };
    } else if (opened.current === undefined || (await checkLogin(found.value, opened.current)) !== 'must_change') {
      return { match: false };
    }
    const problem = passwordProblem(opened.password, { accountId: req.accountId, email: found.value.email });
    if (problem) throw new WeakPasswordError(problem.message, { field: 'password', rule: problem.rule });
    if (req.kind === 'first_login' && opened.password === opened.current) {
      throw new WeakPasswordError('the new password must differ from the temporary one', { field: 'password', rule: 'reuse' });
    }
    const passwordHash = await hashPassword(opened.password);
    const at = new Date().toISOString();
    await updateAccount(registry, req.accountId, async ({ value }) => ({ write: { ...value, passwordHash, passwordChangedAt: at, temporaryPasswordExpiresAt: undefined }, result: undefined }));
    await record(
      req.accountId,
      req.requestId,
      'password_changed',
      req.kind === 'email_reset' ? 'password reset with a code sent to the bound e-mail; every session ended' : 'temporary password replaced at first login; every session ended',
      'password-changed',
    );
    // One key per reason: a support recovery publishes both (login enabled, then the first login's password).
    await events.publish({ type: 'sessions_end', accountId: req.accountId, requestId: req.requestId, at, reason: 'password_changed' }, dedupId('sessions-end-password-changed'));
    const language = found.value.language;
    const { subject, text } = passwordChangedText[language];
    if (found.value.email) await deps.mailer.send({ to: found.value.email, kind: 'password_changed', subject, text, html: textToHtml(text) }, dedupId('password-changed-mail'));
    await deps.push.send({ accountId: req.accountId, requestId: req.requestId, kind: 'password_changed', title: subject, body: text }, dedupId('password-changed-push'));
    return { match: true };
  }

  /**
   * REC-2: support enabled login by hand: a temporary password made here, sent by SMS to the new
   * number, stored as a hash that expires and must be changed at first login. It is derived with
   * the worker's key from the run and the number, so a retry makes the same password and its SMS
   * (keyed by the number's hash) goes once: a second SMS would carry a second password and void
   * the first.
   */
  async function issueTemporaryPassword(req: TemporaryPasswordRequest): Promise<{ expiresAt: string }> {
    const temporary = deriveTemporaryPassword(keys.tokens, currentRun().runId, req.newPhone);
    const expiresAt = new Date(Date.now() + TEMPORARY_PASSWORD_TTL_MS).toISOString();
    const passwordHash = await hashPassword(temporary);
    const account = await updateAccount(registry, req.accountId, async ({ value }) => ({
      write: { ...value, passwordHash, passwordChangedAt: new Date().toISOString(), temporaryPasswordExpiresAt: expiresAt },
      result: value,
    }));
    const attempt = `temporary-password-${createHmac('sha256', keys.tokens).update(`temporary-password-sms|${req.newPhone}`).digest('hex').slice(0, 16)}`;
    await deps.sms.send(
      { to: req.newPhone, text: temporaryPasswordText[account.language](temporary), accountId: req.accountId, requestId: req.requestId, kind: 'temporary_password' },
      dedupId(attempt),
    );
    await record(
      req.accountId,
      req.requestId,
      'login_enabled_by_support',
      `support enabled login by hand; a temporary password went by SMS to the new number (expires ${expiresAt}, must be changed at first login)`,
      'login-enabled',
      { operator: req.operator, method: req.method, evidenceRef: req.evidenceRef, reason: req.reason },
      ['sms'],
      req.operator,
    );
    await events.publish(
      { type: 'sessions_end', accountId: req.accountId, requestId: req.requestId, at: new Date().toISOString(), reason: 'login_enabled_by_support' },
      dedupId('sessions-end-login-enabled'),
    );
    return { expiresAt };
  }

  return { loadRecoveryAccount, sendResetCode, setPassword, issueTemporaryPassword };
}
