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

const DAY = 24 * 60 * MINUTE;

/**
 * SEC-7: the widest each setting may be. The worker refuses to start outside them, and the
 * workflow checks the policy it is given again, so no caller and no misconfiguration can make a
 * code live for days or a change outlast the frequent-change window's purpose.
 */
export const policyBounds: Readonly<Record<Exclude<keyof Policy, 'identityCheck'>, { min: number; max: number }>> = Object.freeze({
  codeTtlMs: { min: 1, max: 15 * MINUTE },
  resendCooldownMs: { min: 1, max: 10 * MINUTE },
  maxCodesPerStep: { min: 1, max: 10 },
  maxWrongPerCode: { min: 1, max: 10 },
  changeTtlMs: { min: 1, max: 7 * DAY },
  frequentChangeWindowMs: { min: 1, max: 30 * DAY },
  linkedSyncWaitMs: { min: 1, max: 7 * DAY },
  linkedRemindEveryMs: { min: 1, max: DAY },
  revertWindowMs: { min: 1, max: 90 * DAY },
  testDeliveryTtlMs: { min: 1, max: 15 * MINUTE },
});

/** What is wrong with a whole policy or with overrides of the defaults (empty when valid). */
export function policyProblems(overrides: unknown): string[] {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) return ['policy must be an object'];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'identityCheck') {
      if (typeof value !== 'boolean') problems.push('policy.identityCheck must be true or false');
    } else if (!(key in policyBounds)) {
      problems.push(`policy.${key.slice(0, 40)} is not a known setting`);
    } else {
      const { min, max } = policyBounds[key as keyof typeof policyBounds];
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) problems.push(`policy.${key} must be an integer from ${min} to ${max}`);
    }
  }
  return problems;
}

/** The defaults with the worker's configured overrides; throws when they are out of bounds. */
export function resolvePolicy(overrides: Partial<Policy> = {}): Policy {
  const problems = policyProblems(overrides);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return { ...defaultPolicy, ...overrides };
}
