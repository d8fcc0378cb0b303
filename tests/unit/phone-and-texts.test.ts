import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../../workflows/domain/phone';
import { maskEmail, maskPhone } from '../../workflows/domain/mask';
import { InvalidInputError } from '../../workflows/domain/errors';
import { policyProblems } from '../../workflows/domain/policy';
import { deriveCode, deriveProofKeys, hashRecoveryCode, sameSecret } from '../../activities/codes';
import { formatWhen, noticeKinds, renderCodeSms, renderIdentityLinkSms, renderNotice, smsSegments, type NoticeKind } from '../../activities/templates';

describe('phone numbers (PRE-2)', () => {
  it.each([
    ['+7 916 123-45-67', '+79161234567'],
    ['8 (916) 123-45-67', '+79161234567'],
    ['9161234567', '+79161234567'],
    ['+44 7911 123456', '+447911123456'],
  ])('PRE-2: normalises %j to %s', (raw, e164) => {
    expect(normalizePhone(raw)).toBe(e164);
  });

  it.each([
    [undefined, 'missing'],
    ['   ', 'missing'],
    ['+7 916 12', 'not_possible'],
    ['+7 495 123-45-67', 'not_mobile'],
    ['+7 916 123 45 67; drop', 'characters'],
    ['x'.repeat(40), 'characters'],
  ])('PRE-2: refuses %j (%s) naming the field', (raw, reason) => {
    const err = (() => {
      try {
        normalizePhone(raw, 'newPhone');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).details).toMatchObject({ field: 'newPhone', reason });
  });

  it('SEC-4: masks numbers and e-mails', () => {
    expect(maskPhone('+79161234567')).toBe('+7 *** ***-**-67');
    expect(maskEmail('anna@example.ru')).toBe('a***@example.ru');
  });

  it('SEC-7: refuses unknown settings and values outside the bounds (a code living a day, a change living forever, NaN)', () => {
    expect(policyProblems({ codeTtlMs: 0 })).toEqual(['policy.codeTtlMs must be an integer from 1 to 900000']);
    expect(policyProblems({ codeTtlMs: 86_400_000 })).toHaveLength(1);
    expect(policyProblems({ changeTtlMs: 1e300 })).toHaveLength(1);
    expect(policyProblems({ changeTtlMs: Number.NaN })).toHaveLength(1);
    expect(policyProblems({ identityCheck: 'no' as never })).toEqual(['policy.identityCheck must be true or false']);
    expect(policyProblems({ bogus: 1 } as never)).toEqual(['policy.bogus is not a known setting']);
    expect(policyProblems({ changeTtlMs: 1000 })).toEqual([]);
  });
});

describe('codes (OTP-1, OTP-2)', () => {
  const key = Buffer.alloc(32, 7);
  it('derives the same 6-digit code for one run, step and sequence, and different ones otherwise', () => {
    const a = deriveCode(key, 'run-1', 'old', 1);
    expect(a).toMatch(/^\d{6}$/);
    expect(deriveCode(key, 'run-1', 'old', 1)).toBe(a);
    const others = new Set([deriveCode(key, 'run-1', 'old', 2), deriveCode(key, 'run-1', 'new', 1), deriveCode(key, 'run-2', 'old', 1)]);
    expect(others.has(a) && others.size === 1).toBe(false);
  });

  it('SEC-5: one key per purpose from the master secret; short secrets refused', () => {
    const k = deriveProofKeys(Buffer.alloc(32, 9));
    const all = Object.values(k).map((b) => b.toString('hex'));
    expect(new Set(all).size).toBe(all.length);
    expect(() => deriveProofKeys(Buffer.alloc(31, 9))).toThrow(/at least 32 bytes/);
  });

  it('REC-3: recovery codes are hashed with their key, bound to the account, typed with or without a dash', () => {
    const h = hashRecoveryCode(key, 'acct', 'AB12-CD34');
    expect(h).toBe(hashRecoveryCode(key, 'acct', 'ab12cd34'));
    expect(h).not.toBe(hashRecoveryCode(key, 'other', 'AB12CD34'));
    expect(h).not.toBe(createHmac('sha256', '').update('AB12CD34').digest('hex'));
  });

  it('compares secrets of any length without throwing (constant time over digests)', () => {
    expect(sameSecret('123456', '123456')).toBe(true);
    expect(sameSecret('123456', '1234567')).toBe(false);
    expect(sameSecret('\u00ff\u0100', '')).toBe(false);
  });
});

describe('texts (CH-2)', () => {
  const kinds: readonly NoticeKind[] = noticeKinds;
  const params = { requestId: 'K7M2QX9PHA', when: '25.11.2026 01:17', journalUrl: 'https://j.example/j', newPhoneMasked: '+7 *** ***-**-02' };

  it.each(kinds)('CH-2: %s exists in Russian and English, carrying the request id (AFTER-3)', (kind) => {
    const ru = renderNotice('ru', kind, params);
    const en = renderNotice('en', kind, params);
    expect(ru.sms).toMatch(/[а-я]/i);
    expect(en.sms).not.toMatch(/[а-я]/i);
    for (const t of [ru, en]) {
      expect(t.subject.length).toBeGreaterThan(5);
      expect(`${t.sms} ${t.body}`).toMatch(/K7M2QX9PHA|j\.example/);
    }
  });

  it.each(['ru', 'en'] as const)('CH-2: every %s SMS fits one or two segments with realistic links', (lang) => {
    const account = 'a'.repeat(24);
    const p = {
      requestId: 'K7M2QX9PHA',
      when: formatWhen(lang, new Date('2026-11-25T01:17:00Z')),
      journalUrl: 'https://gosuslugi.ru/journal/K7M2QX9PHA',
      rejectUrl: `https://gosuslugi.ru/nm/${account}/${'t'.repeat(16)}`,
      newPhoneMasked: '+7 *** ***-**-02',
    };
    for (const kind of kinds) expect([kind, smsSegments(renderNotice(lang, kind, p).sms)]).toEqual([kind, expect.any(Number)]);
    const over = kinds.map((k) => [k, smsSegments(renderNotice(lang, k, p).sms)] as const).filter(([, n]) => n > 2);
    expect(over).toEqual([]);
    expect(smsSegments(renderIdentityLinkSms(lang, `https://gosuslugi.ru/id/${account}/${'t'.repeat(16)}`))).toBeLessThanOrEqual(2);
  });

  it('counts SMS segments as gateways do', () => {
    expect(smsSegments('a'.repeat(160))).toBe(1);
    expect(smsSegments('a'.repeat(161))).toBe(2);
    expect(smsSegments('я'.repeat(70))).toBe(1);
    expect(smsSegments('я'.repeat(71))).toBe(2);
    expect(smsSegments('я'.repeat(135))).toBe(3);
  });

  it('CH-2: code SMS in both languages fit one segment and carry the code', () => {
    const ru = renderCodeSms('ru', 'old', '123456', 5);
    expect(renderCodeSms('ru', 'new', '123456', 5).length).toBeLessThanOrEqual(70);
    const en = renderCodeSms('en', 'new', '654321', 5);
    expect(ru).toContain('123456');
    expect(en).toContain('654321');
    expect(ru.length).toBeLessThanOrEqual(70); // UCS-2: 70 characters per single segment
    expect(en.length).toBeLessThanOrEqual(160);
  });
});
