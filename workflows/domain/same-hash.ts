/** Compares two hex digests without an early exit, so timing says nothing of how much matched. */
export function sameHash(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
