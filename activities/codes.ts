/**
 * One-time codes and link tokens without storing them anywhere: each is derived from a worker-only
 * key and the change's run, purpose and sequence number, so a retried send produces the same value
 * (the gateway's de-duplication drops the copy) and a check recomputes it (SEC-5). Nothing derived
 * here ever leaves the worker except inside the message to the citizen.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Step } from '../workflows/phone-change.defs';

/** A code proves the old number, the new number, or a test delivery (AFTER-2). */
export type CodePurpose = Step | 'test' | 'reset';
/** Single-use link tokens: the identity check (SEC-2) and "this wasn't me" (SEC-3). */
export type TokenPurpose = 'identity' | 'reject';

/** One key per purpose (SEC-5): a leak of one does not forge the others. */
export interface ProofKeys {
  codes: Buffer;
  tokens: Buffer;
  identity: Buffer;
  recovery: Buffer;
  /** Keys rate-limit subjects of phone numbers (no number in a subject). */
  limits: Buffer;
  /** REC-1: the X25519 private key new passwords are sealed to (the client holds only its public half). */
  passwords: Buffer;
}
export const proofKeyPurposes = ['codes', 'tokens', 'identity', 'recovery', 'limits', 'passwords'] as const satisfies readonly (keyof ProofKeys)[];
export const MIN_KEY_BYTES = 32;

/** HKDF-SHA256 of one master secret, one output per purpose. */
export function deriveProofKeys(master: Buffer): ProofKeys {
  if (master.length < MIN_KEY_BYTES) throw new Error(`the master secret must be at least ${MIN_KEY_BYTES} bytes`);
  const one = (purpose: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `phone-change/${purpose}/v1`, 32));
  return { codes: one('codes'), tokens: one('tokens'), identity: one('identity'), recovery: one('recovery'), limits: one('limits'), passwords: one('passwords') };
}

export const CODE_LENGTH = 6;
export const CODE_PATTERN = /^\d{6}$/;

export function deriveCode(key: Buffer, runId: string, purpose: CodePurpose, seq: number): string {
  const mac = createHmac('sha256', key).update(`code|${runId}|${purpose}|${seq}`).digest();
  // 48 bits modulo 10^6: the bias is below 10^-8.
  const n = mac.readUIntBE(0, 6) % 10 ** CODE_LENGTH;
  return n.toString().padStart(CODE_LENGTH, '0');
}

const TEMPORARY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/**
 * REC-2: the temporary password of one recovery run for one number (14 letters and digits, about
 * 81 bits, then a dash and two digits). Derived with the worker's key, not drawn at random, so a
 * retried activity makes the same password: its SMS is de-duplicated and the first one still works.
 */
export function deriveTemporaryPassword(key: Buffer, runId: string, newPhone: string): string {
  const out: string[] = [];
  // Rejection sampling over an HMAC stream: every character equally likely.
  const limit = 256 - (256 % TEMPORARY_ALPHABET.length);
  for (let block = 0; out.length < 16; block++) {
    for (const b of createHmac('sha256', key).update(`temporary-password|${runId}|${newPhone}|${block}`).digest()) {
      if (out.length === 14) {
        if (b >= 180) continue;
        out.push('-', String(10 + (b % 90)));
        break;
      }
      if (b < limit) out.push(TEMPORARY_ALPHABET[b % TEMPORARY_ALPHABET.length]!);
    }
  }
  return out.join('');
}

/** 96 bits, URL-safe, short enough for one SMS segment's worth of link. */
export function deriveToken(key: Buffer, purpose: TokenPurpose, runId: string, seq: number): string {
  return createHmac('sha256', key).update(`token|${purpose}|${runId}|${seq}`).digest('base64url').slice(0, 16);
}

/** Constant-time equality of two strings of any length (digests first, so lengths leak nothing). */
export function sameSecret(a: string, b: string): boolean {
  const d = (s: string) => createHmac('sha256', 'compare').update(s).digest();
  return timingSafeEqual(d(a), d(b));
}

export interface IdentityData {
  fullName: string;
  /** Passport series and number, e.g. "4510 123456". */
  passport: string;
}

/** Normalises what a citizen types (case, ё, spaces, separators) so that equal data hash equally. */
export function normalizeIdentity(d: IdentityData): { fullName: string; passport: string } {
  const fullName = d.fullName
    .normalize('NFC')
    .toUpperCase()
    .replace(/Ё/g, 'Е')
    .replace(/[\s-]+/g, ' ')
    .trim();
  const passport = d.passport.replace(/\D/g, '');
  return { fullName, passport };
}

/** SEC-2: the profile's identity data as a keyed hash kept in the registry (never in history). */
export function hashIdentity(key: Buffer, accountId: string, d: IdentityData): string {
  const n = normalizeIdentity(d);
  return createHmac('sha256', key).update(`identity|${accountId}|${n.fullName}|${n.passport}`).digest('hex');
}

/** REC-3: backup recovery codes the owner keeps: 8 letters or digits, typed with or without a dash. */
export const RECOVERY_CODE_PATTERN = /^[A-Z0-9]{8}$/;
export function normalizeRecoveryCode(raw: string): string {
  return raw.toUpperCase().replace(/[\s-]/g, '');
}

/** REC-3: what the registry keeps of a recovery code. */
export function hashRecoveryCode(key: Buffer, accountId: string, code: string): string {
  return createHmac('sha256', key)
    .update(`recovery|${accountId}|${normalizeRecoveryCode(code)}`)
    .digest('hex');
}
