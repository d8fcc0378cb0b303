/**
 * Masked forms of personal data for logs, history and status (SEC-4): enough to recognise one's
 * own number, not enough to learn someone else's.
 */
export function maskPhone(e164: unknown): string {
  if (typeof e164 !== 'string' || e164.length > 32) return '***';
  const digits = e164.replace(/\D/g, '');
  if (digits.length < 4) return '***';
  const last = digits.slice(-2);
  const cc = digits.startsWith('7') ? '7' : digits.slice(0, Math.max(1, digits.length - 10));
  return `+${cc} *** ***-**-${last}`;
}

export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***@${email.slice(at + 1)}`;
}
