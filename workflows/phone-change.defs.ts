/**
 * The phone change's contract, shared by the workflow, the client and the CLI: identifiers,
 * messages (updates, signals, queries), their input and result types, and search attributes.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { authMethods, overrideMethods } from './domain/schemas';
import type { CodeOutcome, IdentityOutcome } from './domain/outcomes';

export { ACCOUNT_ID_PATTERN, E164_PATTERN, REQUEST_ID_PATTERN, authMethods, overrideMethods } from './domain/schemas';

export const TASK_QUEUE = 'phone-change';

/** PRE-4: one workflow id per account, so Temporal itself allows one open change per account. */
export function workflowIdFor(accountId: string): string {
  return `phone-change/${accountId}`;
}

export const searchAttributes = {
  accountId: defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD),
  state: defineSearchAttributeKey('PhoneChangeState', SearchAttributeType.KEYWORD),
  requestId: defineSearchAttributeKey('PhoneChangeRequestId', SearchAttributeType.KEYWORD),
} as const;

/**
 * PRE-5: how the citizen is authenticated for this change: a self-service session with password
 * and a one-time code (`two_factor`) or with the password alone (`password_only`, refused: SEC-1),
 * a qualified e-signature, or an operator at a service centre.
 */
export type AuthMethod = (typeof authMethods)[number];

/** LOST-2: how support proved the citizen's identity before an override. */
export type OverrideMethod = (typeof overrideMethods)[number];

/** Why a change waits for support. */
export type SupportReason = 'old_number_lost' | 'frequent_change' | 'sim_swap' | 'sim_swap_unverified';

export type Step = 'old' | 'new';

/** The states of a change; see phone-change.mmd for the diagram. */
export const changeStates = [
  'validating',
  'awaiting_identity',
  'awaiting_old_number',
  'awaiting_support',
  'awaiting_new_number',
  'committing',
  'completed',
  'refused',
  'rejected',
  'cancelled',
  'expired',
  'failed',
] as const;
export type ChangeState = (typeof changeStates)[number];
export const terminalStates: ReadonlySet<ChangeState> = new Set(['completed', 'refused', 'rejected', 'cancelled', 'expired', 'failed']);
/** States in which the owner may still reject or cancel the change. */
export const stoppableStates: ReadonlySet<ChangeState> = new Set(['awaiting_identity', 'awaiting_old_number', 'awaiting_support', 'awaiting_new_number']);

export interface PhoneChangeInput {
  accountId: string;
  /** AFTER-3: shown to the citizen, usable with support; makes a repeated start idempotent. */
  requestId: string;
  /** E.164, normalised by the client (PRE-2). */
  newPhone: string;
  auth: AuthMethod;
}

export interface FailureInfo {
  type: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface ChangeRef {
  accountId: string;
  requestId: string;
  workflowId: string;
  state: ChangeState;
}

/** The same request id with another number or session is a conflict, not the same change (PRE-4). */
export interface StartRequest {
  requestId: string;
  newPhone: string;
  auth: AuthMethod;
}

/**
 * The code as the citizen typed it, inside the encrypted payload; a worker-only key recomputes
 * the expected code to judge it (SEC-5). Single-use: judged, it proves nothing more.
 */
export interface SubmitCodeRequest {
  step: Step;
  code: string;
}

export type { CodeOutcome, IdentityOutcome } from './domain/outcomes';

export interface CodeVerdict {
  outcome: CodeOutcome;
  /** Wrong entries still allowed for the current code. */
  attemptsLeft: number;
  /** Codes that may still be requested for this step. */
  codesLeft: number;
  state: ChangeState;
}

export interface ResendRequest {
  step: Step;
}

export interface ResendResult {
  step: Step;
  codesLeft: number;
  codeExpiresAt: string;
  nextResendAt: string;
}

export interface StepStatus {
  confirmed: boolean;
  codesSent: number;
  codesLeft: number;
  attemptsLeft: number;
  codeExpiresAt?: string;
  nextResendAt?: string;
}

/** SEC-2: the link's token and what the citizen typed on its page, judged by the worker. */
export interface ConfirmIdentityRequest {
  token: string;
  fullName: string;
  passport: string;
}

export interface IdentityVerdict {
  outcome: IdentityOutcome;
  attemptsLeft: number;
  state: ChangeState;
}

export interface OperatorRef {
  id: string;
  name?: string;
}

/** The action a support operator's credential is bound to (its `action` claim), and the role it needs. */
export const operatorRoles = ['support:override', 'support:reject', 'support:revert', 'support:recovery'] as const;
export type OperatorRole = (typeof operatorRoles)[number];

/** LOST-2: a support decision; every field is recorded, with the operator the credential proves. */
export interface SupportOverrideRequest {
  /** The operator's signed credential (JWT). */
  credential: string;
  method: OverrideMethod;
  evidenceRef: string;
  reason: string;
}

export interface SupportOverride {
  operator: OperatorRef;
  method: OverrideMethod;
  evidenceRef: string;
  reason: string;
  at: string;
}

/** SEC-3: "this wasn't me" through the link's token, or a rejection by support. */
export type RejectRequest = { by: 'owner'; token: string } | { by: 'support'; credential: string; reason: string };

export interface CancelRequest {
  reason?: string;
}

export interface ChangeStatus {
  accountId: string;
  requestId: string;
  state: ChangeState;
  auth: AuthMethod;
  startedAt: string;
  /** Known once the worker's policy is loaded. */
  deadline?: string;
  oldPhoneMasked?: string;
  newPhoneMasked: string;
  steps?: Record<Step, StepStatus>;
  identity?: { confirmed: boolean; attemptsLeft: number };
  /** FREQ-1: requested within the window after the previous completed change. */
  frequentChange: boolean;
  support?: { reason: SupportReason; override?: SupportOverride };
  completedAt?: string;
  failure?: FailureInfo;
}

export interface PhoneChangeResult {
  requestId: string;
  state: ChangeState;
  completedAt?: string;
  failure?: FailureInfo;
}

/** Used with update-with-start: answers once the preconditions are checked (PRE-1..PRE-4). */
export const startUpdate = defineUpdate<ChangeRef, [StartRequest]>('start');
export const submitCodeUpdate = defineUpdate<CodeVerdict, [SubmitCodeRequest]>('submitCode');
export const resendCodeUpdate = defineUpdate<ResendResult, [ResendRequest]>('resendCode');
export const confirmIdentityUpdate = defineUpdate<IdentityVerdict, [ConfirmIdentityRequest]>('confirmIdentity');
/** LOST-1: the citizen cannot receive codes on the old number; the change waits for support. */
export const reportOldNumberLostUpdate = defineUpdate<ChangeRef, []>('reportOldNumberLost');
/** LOST-2, FREQ-2: support approves after proving identity. */
export const supportOverrideUpdate = defineUpdate<ChangeRef, [SupportOverrideRequest]>('supportOverride');
export const rejectUpdate = defineUpdate<ChangeRef, [RejectRequest]>('reject');
export const cancelUpdate = defineUpdate<ChangeRef, [CancelRequest]>('cancel');
/** REC-3: a backup recovery code in place of the old-number code. */
export const submitRecoveryCodeUpdate = defineUpdate<CodeVerdict, [{ code: string }]>('submitRecoveryCode');
export const statusQuery = defineQuery<ChangeStatus>('status');
