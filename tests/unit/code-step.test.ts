import { describe, expect, it } from 'vitest';
import * as code from '../../workflows/code-step';
import { defaultPolicy } from '../../workflows/domain/policy';
import { CodesExhaustedError, ResendCooldownError } from '../../workflows/domain/errors';

const p = defaultPolicy;
const H1 = '1'.repeat(64);
const H2 = '2'.repeat(64);

function sent(at = 0) {
  const s = code.newCodeStep('old');
  s.seq = 1;
  code.recordSent(s, H1, at, p);
  return s;
}

describe('code step rules (OTP-3, OTP-4), pure', () => {
  it('OTP-3: accepts the right code within its 5-minute life', () => {
    const s = sent();
    expect(code.judge(s, H1, p.codeTtlMs - 1, p)).toBe('accepted');
    expect(s.confirmed).toBe(true);
  });

  it('OTP-3: answers "expired" after 5 minutes without counting a wrong entry', () => {
    const s = sent();
    expect(code.judge(s, H1, p.codeTtlMs, p)).toBe('expired');
    expect(code.attemptsLeft(s, p)).toBe(3);
  });

  it('OTP-3 OTP-4: three wrong entries kill a code; the step is exhausted only when no code is left', () => {
    const s = sent();
    expect(code.judge(s, H2, 1, p)).toBe('wrong');
    expect(code.judge(s, H2, 2, p)).toBe('wrong');
    expect(code.judge(s, H2, 3, p)).toBe('exhausted');
    expect(code.judge(s, H1, 4, p)).toBe('exhausted'); // even the right code is too late now
    expect(code.isExhausted(s, p)).toBe(false); // 4 more codes may be requested
    s.seq = p.maxCodesPerStep;
    expect(code.isExhausted(s, p)).toBe(true);
  });

  it('OTP-3: a resend waits 60 s and stops after 5 codes', () => {
    const s = sent(1000);
    expect(code.resendRefusal(s, 1000 + 59_999, p)).toBeInstanceOf(ResendCooldownError);
    expect((code.resendRefusal(s, 1000 + 30_000, p) as ResendCooldownError).details.retryAfterMs).toBe(30_000);
    expect(code.resendRefusal(s, 1000 + 60_000, p)).toBeUndefined();
    s.seq = 5;
    expect(code.resendRefusal(s, 10_000_000, p)).toBeInstanceOf(CodesExhaustedError);
  });

  it('a new code resets the wrong-entry count and replaces the old code', () => {
    const s = sent();
    code.judge(s, H2, 1, p);
    s.seq = 2;
    code.recordSent(s, H2, 100_000, p);
    expect(code.attemptsLeft(s, p)).toBe(3);
    expect(code.judge(s, H1, 100_001, p)).toBe('wrong');
    expect(code.judge(s, H2, 100_002, p)).toBe('accepted');
  });

  it('reports the step status with ISO times', () => {
    const st = code.stepStatus(sent(0), p);
    expect(st).toMatchObject({ confirmed: false, codesSent: 1, codesLeft: 4, attemptsLeft: 3, codeExpiresAt: '1970-01-01T00:05:00.000Z', nextResendAt: '1970-01-01T00:01:00.000Z' });
  });
});
