/**
 * One-time codes without storing them anywhere: a code is derived from a server-side key and the
 * change's run, step and sequence number, so a retried send produces the same code (and the
 * gateway's de-duplication drops the copy). The workflow only ever sees a keyed hash; the client
 * hashes what the citizen typed with the same key, so no code enters workflow history.
 */
import { createHmac } from 'node:crypto';
import type { Step } from '../workflows/phone-change.defs';

export const CODE_LENGTH = 6;
export const CODE_PATTERN = /^\d{6}$/;

export function deriveCode(key: Buffer, runId: string, step: Step, seq: number): string {
  const mac = createHmac('sha256', key).update(`code|${runId}|${step}|${seq}`).digest();
  // 48 bits modulo 10^6: the bias is below 10^-8.
  const n = mac.readUIntBE(0, 6) % 10 ** CODE_LENGTH;
  return n.toString().padStart(CODE_LENGTH, '0');
}

export function hashCode(key: Buffer, accountId: string, step: Step, code: string): string {
  return createHmac('sha256', key).update(`hash|${accountId}|${step}|${code}`).digest('hex');
}
