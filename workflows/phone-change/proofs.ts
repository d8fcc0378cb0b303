/**
 * The citizen's proofs (SEC-2, OTP-1..4, REC-3, SEC-5): what the citizen typed arrives inside the
 * encrypted update payload, an attempt is reserved, the worker judges with its keys, and only the
 * verdict enters the state. Each verdict answers after the change has moved (hole 17).
 */
import { condition, log, patched } from '@temporalio/workflow';
import { messaging, proofs, registry } from '../activity-proxies';
import { CodesExhaustedError, InvalidTokenError, RateLimitedError } from '../domain/errors';
import { failureFromActivity, fromInfo, toFailure } from '../failures';
import * as code from '../code-step';
import { terminalStates, type CodeOutcome, type CodeVerdict, type ConfirmIdentityRequest, type IdentityVerdict, type ResendResult, type Step, type SubmitCodeRequest } from '../phone-change.defs';
import { iso, type ChangeModel } from './model';
import { wrongEntry } from './notices';
import { sendTogether, warnIfFailed } from './outgoing';

const waitingFor = { old: 'awaiting_old_number', new: 'awaiting_new_number' } as const;

/** Refused before the update enters history: too many wrong entries on the account lately. */
export function checkNotBlocked(m: ChangeModel): void {
  const wait = m.blockedUntil - Date.now();
  if (wait > 0) {
    throw toFailure(new RateLimitedError(`too many wrong entries on this account; try again in ${Math.ceil(wait / 1000)} s`, { scope: 'wrongEntriesPerAccount', retryAfterMs: wait }));
  }
}

export function checkAwaiting(m: ChangeModel, step: Step): void {
  m.checkState([waitingFor[step]], `take the ${step}-number code`);
}

/** Sends the next code of a step; a code that was not sent (rate limit, gateway down) costs nothing. */
export async function issueCode(m: ChangeModel, step: Step): Promise<void> {
  const s = m.codes[step];
  const before = { seq: s.seq, sentAt: s.sentAt };
  s.seq += 1;
  // Reserve the cooldown before the await, so a concurrent resend is refused.
  s.sentAt = Date.now();
  s.sending = true;
  try {
    const req = {
      accountId: m.input.accountId,
      requestId: m.input.requestId,
      step,
      seq: s.seq,
      to: step === 'old' ? m.snapshot.oldPhone : m.input.newPhone,
      language: m.snapshot.language,
      ttlMinutes: Math.ceil(m.rules.codeTtlMs / 60_000),
    };
    if (m.v7) {
      const [d] = await sendTogether(m, [{ kind: 'sendCode', req }]);
      if (!d!.ok) throw fromInfo(d!.failure);
    } else {
      await messaging.sendCode(req);
    }
    code.recordSent(s, Date.now(), m.rules);
  } catch (err) {
    Object.assign(s, before);
    throw err;
  } finally {
    s.sending = false;
  }
}

export async function resend(m: ChangeModel, step: Step): Promise<ResendResult> {
  const refusal = code.resendRefusal(m.codes[step], Date.now(), m.rules);
  if (refusal) throw toFailure(refusal);
  await issueCode(m, step);
  const s = m.codes[step];
  return { step, codesLeft: code.codesLeft(s, m.rules), codeExpiresAt: iso(s.expiresAt)!, nextResendAt: iso(s.sentAt! + m.rules.resendCooldownMs)! };
}

/** OTP-3, OTP-4: judges a typed code; a wrong one is told and counted. */
export async function submitCode(m: ChangeModel, req: SubmitCodeRequest): Promise<CodeVerdict> {
  const s = m.codes[req.step];
  await condition(() => !s.sending);
  const seq = s.seq;
  let outcome: CodeOutcome | undefined = code.reserveAttempt(s, Date.now(), m.rules);
  if (outcome === undefined) {
    if (code.isExhausted(s, m.rules)) judgeLastAttempt(m);
    const { match } = await code.judged(s, () => proofs.verifyCode({ purpose: req.step, seq, code: req.code }));
    outcome = code.settleAttempt(s, seq, match, m.rules);
    if (!match) await wrongEntry(m, 'wrong_code', `-${req.step}-${seq}-${s.wrong}`);
  }
  if (outcome === 'accepted') await movedOn(m, waitingFor[req.step]);
  return { outcome, attemptsLeft: code.attemptsLeft(s, m.rules), codesLeft: code.codesLeft(s, m.rules), state: m.state };
}

/** REC-3: a backup recovery code proves the owner instead of the old-number code; guesses are limited like codes. */
export async function submitRecoveryCode(m: ChangeModel, typed: string): Promise<CodeVerdict> {
  const s = m.codes.old;
  await condition(() => !s.sending);
  const left = () => Math.max(0, m.rules.maxWrongPerCode - m.recoveryWrong);
  m.recoveryWrong += 1; // reserved: concurrent guesses cannot exceed the limit
  let accepted: boolean;
  try {
    ({ accepted } = await registry.useRecoveryCode({ accountId: m.input.accountId, requestId: m.input.requestId, code: typed }));
  } catch (err) {
    m.recoveryWrong -= 1;
    throw fromInfo(failureFromActivity(err));
  }
  if (accepted) {
    m.recoveryWrong -= 1;
    s.confirmed = true;
    await movedOn(m, 'awaiting_old_number');
  } else {
    await wrongEntry(m, 'wrong_code', `-recovery-${m.recoveryWrong}`);
  }
  const outcome: CodeOutcome = accepted ? 'accepted' : left() === 0 ? 'exhausted' : 'wrong';
  return { outcome, attemptsLeft: left(), codesLeft: code.codesLeft(s, m.rules), state: m.state };
}

export function checkRecoveryAllowed(m: ChangeModel): void {
  checkAwaiting(m, 'old');
  if (m.recoveryWrong >= m.rules.maxWrongPerCode) {
    throw toFailure(new CodesExhaustedError('too many wrong recovery codes for this change: use the code sent to the old number', { field: 'code' }));
  }
}

/**
 * SEC-2: a token from another link is refused; data that does not match the profile counts as a
 * failed attempt. Either way the link is spent: a new one goes out while attempts remain, so a
 * token read from history never opens anything.
 */
export async function confirmIdentity(m: ChangeModel, req: ConfirmIdentityRequest, sendLink: () => Promise<void>): Promise<IdentityVerdict> {
  const id = m.identity;
  await condition(() => !id.sending);
  if (id.confirmed || m.identityAttemptsLeft === 0) throw toFailure(new InvalidTokenError('the identity link is not valid for this change', { field: 'token' }));
  const seq = id.seq;
  id.mismatches += 1; // reserved
  if (m.identityAttemptsLeft === 0) judgeLastAttempt(m);
  const verdict = await code.judged(id, () => proofs.verifyIdentity({ accountId: m.input.accountId, seq, token: req.token, fullName: req.fullName, passport: req.passport }));
  if (!verdict.tokenValid || seq !== id.seq) {
    id.mismatches -= 1;
    throw toFailure(new InvalidTokenError('the identity link is not valid for this change', { field: 'token' }));
  }
  if (verdict.matches) {
    id.mismatches -= 1;
    id.confirmed = true;
    await movedOn(m, 'awaiting_identity');
  } else {
    await wrongEntry(m, 'identity_mismatch', `-${id.mismatches}`);
    if (m.identityAttemptsLeft > 0) await sendLink();
  }
  const attemptsLeft = m.identityAttemptsLeft;
  return { outcome: id.confirmed ? 'confirmed' : attemptsLeft === 0 ? 'exhausted' : 'mismatch', attemptsLeft, state: m.state };
}

/** v8: an entry took the last attempt; the step waits for its verdict before it counts as used up (model.ts). */
function judgeLastAttempt(m: ChangeModel): void {
  m.judgeLastAttempt ||= patched('judged-exhaustion-v8');
}

/** SEC-2: link number `seq` by SMS; a failure leaves the citizen to report the number lost or wait. */
export async function sendIdentityLink(m: ChangeModel): Promise<void> {
  const id = m.identity;
  id.seq += 1;
  id.sending = true;
  try {
    const req = { accountId: m.input.accountId, requestId: m.input.requestId, seq: id.seq, to: m.snapshot.oldPhone, language: m.snapshot.language };
    if (m.v7) {
      const item = { kind: 'sendIdentityLink', req } as const;
      warnIfFailed(item, (await sendTogether(m, [item]))[0]!);
    } else {
      await messaging.sendIdentityLink(req);
    }
  } catch (err) {
    log.warn('identity link not sent', { failure: failureFromActivity(err).type });
  } finally {
    id.sending = false;
  }
}

/** SEC-3: "this wasn't me" with the token of the request notice's link, judged by the worker. */
export async function checkRejectToken(token: string): Promise<void> {
  const { match } = await proofs.verifyToken({ purpose: 'reject', seq: 1, token });
  if (!match) throw toFailure(new InvalidTokenError('the reject link is not valid for this change', { field: 'token' }));
}

/**
 * Hole 17: a verdict tells the state the change moved to. The final code answers once the number
 * is bound, and a failed bind is its answer.
 */
async function movedOn(m: ChangeModel, from: string): Promise<void> {
  if (from === 'awaiting_new_number') {
    await condition(() => terminalStates.has(m.state));
    if (m.state === 'failed' && m.failure) throw fromInfo(m.failure);
    return;
  }
  await condition(() => m.state !== from);
}
