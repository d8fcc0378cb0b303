/**
 * One proof step (OTP-1 old number, OTP-2 new number) as pure state and rules (OTP-3): codes live
 * `codeTtlMs`, a resend waits `resendCooldownMs`, at most `maxCodesPerStep` codes and
 * `maxWrongPerCode` wrong entries per code. The step knows which code is current and when it
 * expires, never the code: the worker judges a submission (SEC-5). Deterministic: time is passed in.
 */
import type { Policy } from './domain/policy';
import { CodesExhaustedError, ResendCooldownError, type PhoneChangeError } from './domain/errors';
import type { CodeOutcome, Step, StepStatus } from './phone-change.defs';

export interface CodeStep {
  step: Step;
  /** Codes sent so far; also the sequence number of the current code. */
  seq: number;
  sentAt?: number;
  /** Set once the current code was handed to the gateway. */
  expiresAt?: number;
  /** Wrong entries of the current code, counting those being judged right now. */
  wrong: number;
  /** Entries being judged right now. */
  judging: number;
  confirmed: boolean;
  /** A code is on its way: a submission waits for it, since the citizen may already hold it. */
  sending: boolean;
}

export function newCodeStep(step: Step): CodeStep {
  return { step, seq: 0, wrong: 0, judging: 0, confirmed: false, sending: false };
}

export function codesLeft(s: CodeStep, p: Policy): number {
  return Math.max(0, p.maxCodesPerStep - s.seq);
}

export function attemptsLeft(s: CodeStep, p: Policy): number {
  return s.expiresAt === undefined ? 0 : Math.max(0, p.maxWrongPerCode - s.wrong);
}

/** The step can never be confirmed: the last code allowed has used all its wrong entries. */
export function isExhausted(s: CodeStep, p: Policy): boolean {
  return !s.confirmed && codesLeft(s, p) === 0 && attemptsLeft(s, p) === 0;
}

/** Records a freshly sent code. */
export function recordSent(s: CodeStep, now: number, p: Policy): void {
  s.sentAt = now;
  s.expiresAt = now + p.codeTtlMs;
  s.wrong = 0;
}

/** Why a resend is refused now, or undefined when it may go. */
export function resendRefusal(s: CodeStep, now: number, p: Policy): PhoneChangeError | undefined {
  if (codesLeft(s, p) === 0) {
    return new CodesExhaustedError(`all ${p.maxCodesPerStep} codes of the ${s.step}-number step were sent`, { field: 'step' });
  }
  const nextAt = (s.sentAt ?? -Infinity) + p.resendCooldownMs;
  if (now < nextAt) {
    return new ResendCooldownError(`a new code can be requested in ${Math.ceil((nextAt - now) / 1000)} s`, {
      field: 'step',
      retryAfterMs: nextAt - now,
    });
  }
  return undefined;
}

/**
 * The verdict that needs no judge (no code, used up, expired), or undefined: then one wrong entry
 * is reserved before the worker judges, so concurrent guesses cannot exceed the attempts allowed.
 */
export function reserveAttempt(s: CodeStep, now: number, p: Policy): CodeOutcome | undefined {
  if (s.confirmed) return 'accepted';
  if (s.expiresAt === undefined) return 'expired'; // no code was ever delivered: request one
  if (attemptsLeft(s, p) === 0) return 'exhausted';
  if (now >= s.expiresAt) return 'expired';
  s.wrong += 1;
  return undefined;
}

/** Applies the worker's judgement of code `seq`; a code replaced meanwhile proves nothing. */
export function settleAttempt(s: CodeStep, seq: number, match: boolean, p: Policy): CodeOutcome {
  if (seq !== s.seq) return 'expired';
  if (match) {
    s.wrong -= 1;
    s.confirmed = true;
    return 'accepted';
  }
  return attemptsLeft(s, p) === 0 ? 'exhausted' : 'wrong';
}

export function stepStatus(s: CodeStep, p: Policy): StepStatus {
  const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
  return {
    confirmed: s.confirmed,
    codesSent: s.seq,
    codesLeft: codesLeft(s, p),
    attemptsLeft: attemptsLeft(s, p),
    codeExpiresAt: iso(s.expiresAt),
    nextResendAt: iso(s.sentAt === undefined ? undefined : s.sentAt + p.resendCooldownMs),
  };
}

/** Counts an entry as being judged while `verdict` runs (a step used up waits for its verdicts since v8). */
export async function judged<T>(step: { judging: number }, verdict: () => Promise<T>): Promise<T> {
  step.judging += 1;
  try {
    return await verdict();
  } finally {
    step.judging -= 1;
  }
}
