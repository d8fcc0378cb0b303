/**
 * One-time codes without storing them anywhere: a code is derived from a server-side key and the
 * change's run, step and sequence number, so a retried send produces the same code (and the
 * gateway's de-duplication drops the copy). The workflow only ever sees a keyed hash; the client
 * hashes what the citizen typed with the same key, so no code enters workflow history.
 */
import { createHmac } from 'node:crypto';
import type { Step } from '../workflows/phone-change.defs';

/** A code proves the old number, the new number, or a test delivery (AFTER-2). */
export type CodePurpose = Step | 'test' | 'recovery';

/** REC-3: backup recovery codes the owner keeps: 8 letters or digits, typed with or without a dash. */
export const RECOVERY_CODE_PATTERN = /^[A-Z0-9]{8}$/;
export function normalizeRecoveryCode(raw: string): string {
  return raw.toUpperCase().replace(/[\s-]/g, '');
}

export const CODE_LENGTH = 6;
export const CODE_PATTERN = /^\d{6}$/;

export function deriveCode(key: Buffer, runId: string, step: CodePurpose, seq: number): string {
  const mac = createHmac('sha256', key).update(`code|${runId}|${step}|${seq}`).digest();
  // 48 bits modulo 10^6: the bias is below 10^-8.
  const n = mac.readUIntBE(0, 6) % 10 ** CODE_LENGTH;
  return n.toString().padStart(CODE_LENGTH, '0');
}

/** Single-use link tokens (identity check, "not me") are derived the same way: 96 bits, URL-safe, short enough for one SMS segment's worth of link. */
export type TokenPurpose = 'identity' | 'reject';

export function deriveToken(key: Buffer, purpose: TokenPurpose, runId: string, seq: number): string {
  return createHmac('sha256', key).update(`token|${purpose}|${runId}|${seq}`).digest('base64url').slice(0, 16);
}

export function hashToken(key: Buffer, accountId: string, purpose: TokenPurpose, token: string): string {
  return createHmac('sha256', key).update(`tokenhash|${accountId}|${purpose}|${token}`).digest('hex');
}

export interface IdentityData {
  fullName: string;
  /** Passport series and number, e.g. "4510 123456". */
  passport: string;
}

/** Normalises what a citizen types (case, ё, spaces, separators) so that equal data hash equally. */
export function normalizeIdentity(d: IdentityData): { fullName: string; passport: string } {
  const fullName = d.fullName.normalize('NFC').toUpperCase().replace(/Ё/g, 'Е').replace(/[\s-]+/g, ' ').trim();
  const passport = d.passport.replace(/\D/g, '');
  return { fullName, passport };
}

/** SEC-2: the profile's identity data as a keyed hash; neither the registry nor history holds it in clear. */
export function hashIdentity(key: Buffer, accountId: string, d: IdentityData): string {
  const n = normalizeIdentity(d);
  return createHmac('sha256', key).update(`identity|${accountId}|${n.fullName}|${n.passport}`).digest('hex');
}

export function hashCode(key: Buffer, accountId: string, step: CodePurpose, code: string): string {
  return createHmac('sha256', key).update(`hash|${accountId}|${step}|${code}`).digest('hex');
}
