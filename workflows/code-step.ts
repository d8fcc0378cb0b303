/**
 * One proof step (OTP-1 old number, OTP-2 new number) as pure state and rules (OTP-3): codes live
 * `codeTtlMs`, a resend waits `resendCooldownMs`, at most `maxCodesPerStep` codes and
 * `maxWrongPerCode` wrong entries per code. Deterministic: time is passed in.
 */
import type { Policy } from './domain/policy';
import { CodesExhaustedError, ResendCooldownError, type PhoneChangeError } from './domain/errors';
import type { CodeOutcome, Step, StepStatus } from './phone-change.defs';
import { sameHash } from './domain/same-hash';

export interface CodeStep {
  step: Step;
  /** Codes sent so far; also the sequence number of the current code. */
  seq: number;
  codeHash?: string;
  sentAt?: number;
  expiresAt?: number;
  wrong: number;
  confirmed: boolean;
  /** A code is on its way: a submission waits for it, since the citizen may already hold it. */
  sending: boolean;
}

export function newCodeStep(step: Step): CodeStep {
  return { step, seq: 0, wrong: 0, confirmed: false, sending: false };
}

export function codesLeft(s: CodeStep, p: Policy): number {
  return Math.max(0, p.maxCodesPerStep - s.seq);
}

export function attemptsLeft(s: CodeStep, p: Policy): number {
  return s.codeHash === undefined ? 0 : Math.max(0, p.maxWrongPerCode - s.wrong);
}

/** The step can never be confirmed: the last code allowed has used all its wrong entries. */
export function isExhausted(s: CodeStep, p: Policy): boolean {
  return !s.confirmed && codesLeft(s, p) === 0 && attemptsLeft(s, p) === 0;
}

/** Records a freshly sent code. */
export function recordSent(s: CodeStep, codeHash: string, now: number, p: Policy): void {
  s.codeHash = codeHash;
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

/** Judges one submitted code hash and updates the step. */
export function judge(s: CodeStep, codeHash: string, now: number, p: Policy): CodeOutcome {
  if (s.codeHash === undefined) return 'expired'; // no code was ever delivered: request one
  if (attemptsLeft(s, p) === 0) return 'exhausted';
  if (now >= (s.expiresAt ?? 0)) return 'expired';
  if (sameHash(codeHash, s.codeHash)) {
    s.confirmed = true;
    return 'accepted';
  }
  s.wrong += 1;
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
