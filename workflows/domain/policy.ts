/** Timings and limits of one change. Defaults follow REQUIREMENTS.md; tests shorten them. */
export interface Policy {
  /** OTP-3: how long a code is valid. */
  codeTtlMs: number;
  /** OTP-3: minimum time between two codes of one step. */
  resendCooldownMs: number;
  /** OTP-3: codes that may be sent per step (first one included). */
  maxCodesPerStep: number;
  /** OTP-3: wrong entries allowed per code. */
  maxWrongPerCode: number;
  /** OTP-5: the whole change expires after this. */
  changeTtlMs: number;
  /** FREQ-1: a change this soon after the previous completed one is held for support. */
  frequentChangeWindowMs: number;
  /** SEC-2: confirm full name and passport through a single-use link (on by default). */
  identityCheck: boolean;
  /** AFTER-1: how long linked services have to acknowledge the new number. */
  linkedSyncWaitMs: number;
  /** AFTER-1: how often the laggards are reminded. */
  linkedRemindEveryMs: number;
  /** DONE-4: support may restore the previous number this long after a change. */
  revertWindowMs: number;
  /** AFTER-2: how long a test code may be confirmed. */
  testDeliveryTtlMs: number;
}

const MINUTE = 60_000;

export const defaultPolicy: Readonly<Policy> = Object.freeze({
  codeTtlMs: 5 * MINUTE,
  resendCooldownMs: MINUTE,
  maxCodesPerStep: 5,
  maxWrongPerCode: 3,
  changeTtlMs: 24 * 60 * MINUTE,
  frequentChangeWindowMs: 24 * 60 * MINUTE,
  identityCheck: true,
  linkedSyncWaitMs: 24 * 60 * MINUTE,
  linkedRemindEveryMs: 60 * MINUTE,
  revertWindowMs: 30 * 24 * 60 * MINUTE,
  testDeliveryTtlMs: 5 * MINUTE,
});

/** Merges overrides into the defaults; returns the problems found (empty when valid). */
export function policyProblems(overrides: Partial<Policy> | undefined): string[] {
  if (overrides === undefined) return [];
  if (typeof overrides !== 'object' || overrides === null) return ['policy must be an object'];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in defaultPolicy)) problems.push(`policy.${key} is not a known setting`);
    else if (typeof defaultPolicy[key as keyof Policy] === 'boolean') {
      if (typeof value !== 'boolean') problems.push(`policy.${key} must be true or false`);
    } else if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      problems.push(`policy.${key} must be a positive integer`);
    }
  }
  return problems;
}

export function resolvePolicy(overrides: Partial<Policy> | undefined): Policy {
  return { ...defaultPolicy, ...(overrides ?? {}) };
}
