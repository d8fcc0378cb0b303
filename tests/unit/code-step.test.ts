import { describe, expect, it } from 'vitest';
import * as code from '../../workflows/code-step';
import { defaultPolicy } from '../../workflows/domain/policy';
import { CodesExhaustedError, ResendCooldownError } from '../../workflows/domain/errors';

const p = defaultPolicy;

function sent(at = 0) {
  const s = code.newCodeStep('old');
  s.seq = 1;
  code.recordSent(s, at, p);
  return s;
}

/** One submission judged by the worker as `match`, at workflow time `now`. */
function judge(s: code.CodeStep, match: boolean, now: number) {
  return code.reserveAttempt(s, now, p) ?? code.settleAttempt(s, s.seq, match, p);
}

describe('code step rules (OTP-3, OTP-4), pure', () => {
  it('OTP-3: accepts the right code within its 5-minute life', () => {
    const s = sent();
    expect(judge(s, true, p.codeTtlMs - 1)).toBe('accepted');
    expect(s.confirmed).toBe(true);
    expect(code.attemptsLeft(s, p)).toBe(3);
  });

  it('OTP-3: answers "expired" after 5 minutes without counting a wrong entry or asking the worker', () => {
    const s = sent();
    expect(code.reserveAttempt(s, p.codeTtlMs, p)).toBe('expired');
    expect(code.attemptsLeft(s, p)).toBe(3);
  });

  it('OTP-3 OTP-4: three wrong entries kill a code; the step is exhausted only when no code is left', () => {
    const s = sent();
    expect(judge(s, false, 1)).toBe('wrong');
    expect(judge(s, false, 2)).toBe('wrong');
    expect(judge(s, false, 3)).toBe('exhausted');
    expect(judge(s, true, 4)).toBe('exhausted'); // even the right code is too late now
    expect(code.isExhausted(s, p)).toBe(false); // 4 more codes may be requested
    s.seq = p.maxCodesPerStep;
    expect(code.isExhausted(s, p)).toBe(true);
  });

  it('SEC-5: concurrent guesses reserve attempts, so no more than the limit are ever judged', () => {
    const s = sent();
    const reserved = Array.from({ length: 10 }, () => code.reserveAttempt(s, 1, p));
    expect(reserved.filter((r) => r === undefined)).toHaveLength(3);
    expect(reserved.slice(3).every((r) => r === 'exhausted')).toBe(true);
  });

  it('SEC-5: a judgement of a code replaced meanwhile proves nothing', () => {
    const s = sent();
    expect(code.reserveAttempt(s, 1, p)).toBeUndefined();
    s.seq = 2;
    code.recordSent(s, 2, p);
    expect(code.settleAttempt(s, 1, true, p)).toBe('expired');
    expect(s.confirmed).toBe(false);
  });

  it('OTP-3: a resend waits 60 s and stops after 5 codes', () => {
    const s = sent(1000);
    expect(code.resendRefusal(s, 1000 + 59_999, p)).toBeInstanceOf(ResendCooldownError);
    expect((code.resendRefusal(s, 1000 + 30_000, p) as ResendCooldownError).details.retryAfterMs).toBe(30_000);
    expect(code.resendRefusal(s, 1000 + 60_000, p)).toBeUndefined();
    s.seq = 5;
    expect(code.resendRefusal(s, 10_000_000, p)).toBeInstanceOf(CodesExhaustedError);
  });

  it('a new code resets the wrong-entry count', () => {
    const s = sent();
    judge(s, false, 1);
    s.seq = 2;
    code.recordSent(s, 100_000, p);
    expect(code.attemptsLeft(s, p)).toBe(3);
    expect(judge(s, true, 100_002)).toBe('accepted');
  });

  it('reports the step status with ISO times', () => {
    const st = code.stepStatus(sent(0), p);
    expect(st).toMatchObject({ confirmed: false, codesSent: 1, codesLeft: 4, attemptsLeft: 3, codeExpiresAt: '1970-01-01T00:05:00.000Z', nextResendAt: '1970-01-01T00:01:00.000Z' });
  });
});
