/**
 * The business outcomes that cross a boundary (workflow ↔ activity, workflow ↔ client, bridge ↔
 * log), each a named union with its values listed once, so a new outcome is added in one place and
 * every switch over it is checked by the compiler.
 */

/** OTP-3, OTP-4: the verdict on one submitted code. */
export const codeOutcomes = ['accepted', 'wrong', 'expired', 'exhausted'] as const;
export type CodeOutcome = (typeof codeOutcomes)[number];

/** SEC-2: the verdict on the identity data typed on the link's page. */
export const identityOutcomes = ['confirmed', 'mismatch', 'exhausted'] as const;
export type IdentityOutcome = (typeof identityOutcomes)[number];

/** AFTER-1, DONE-4: where the linked services stand; `reverted`: they were told the restored number. */
export const linkedSyncStates = ['syncing', 'synced', 'not_synced', 'reverted'] as const;
export type LinkedSyncState = (typeof linkedSyncStates)[number];

/** CH-1: what a delivery report led to. */
export const fallbackOutcomes = ['delivered', 'unknown_sms', 'skipped_code', 'fallback_sent', 'no_account'] as const;
export type FallbackOutcome = (typeof fallbackOutcomes)[number];
