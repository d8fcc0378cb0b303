/**
 * The phone change's contract, shared by the workflow, the client and the CLI: identifiers,
 * messages (updates, signals, queries), their input and result types, and search attributes.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Policy } from './domain/policy';

export const TASK_QUEUE = 'phone-change';

/** PRE-4: one workflow id per account, so Temporal itself allows one open change per account. */
export function workflowIdFor(accountId: string): string {
  return `phone-change/${accountId}`;
}

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{6,64}$/;
export const E164_PATTERN = /^\+[1-9]\d{7,14}$/;
export const CODE_HASH_PATTERN = /^[0-9a-f]{64}$/;

export const searchAttributes = {
  accountId: defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD),
  state: defineSearchAttributeKey('PhoneChangeState', SearchAttributeType.KEYWORD),
  requestId: defineSearchAttributeKey('PhoneChangeRequestId', SearchAttributeType.KEYWORD),
} as const;

/** PRE-5: how the citizen is authenticated for this change. */
export const authMethods = ['two_factor', 'e_signature', 'service_centre'] as const;
export type AuthMethod = (typeof authMethods)[number];

export type Step = 'old' | 'new';
export const steps: readonly Step[] = ['old', 'new'];

/** The states of a change; see phone-change.mmd for the diagram. */
export const changeStates = [
  'validating',
  'awaiting_old_number',
  'awaiting_new_number',
  'committing',
  'completed',
  'refused',
  'expired',
  'failed',
] as const;
export type ChangeState = (typeof changeStates)[number];
export const terminalStates: ReadonlySet<ChangeState> = new Set(['completed', 'refused', 'expired', 'failed']);

export interface PhoneChangeInput {
  accountId: string;
  /** AFTER-3: shown to the citizen, usable with support; makes a repeated start idempotent. */
  requestId: string;
  /** E.164, normalised by the client (PRE-2). */
  newPhone: string;
  auth: AuthMethod;
  /** Overrides of the policy defaults (tests shorten durations). */
  policy?: Partial<Policy>;
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

export interface StartRequest {
  requestId: string;
}

/** A code as the citizen typed it never reaches Temporal: the client sends its keyed hash. */
export interface SubmitCodeRequest {
  step: Step;
  codeHash: string;
}

export type CodeOutcome = 'accepted' | 'wrong' | 'expired' | 'exhausted';

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

export interface ChangeStatus {
  accountId: string;
  requestId: string;
  state: ChangeState;
  auth: AuthMethod;
  startedAt: string;
  deadline: string;
  oldPhoneMasked?: string;
  newPhoneMasked: string;
  steps: Record<Step, StepStatus>;
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
/** For callers that cannot wait for an answer; the verdict shows in `status` and the history. */
export const submitCodeSignal = defineSignal<[SubmitCodeRequest]>('submitCodeSignal');
export const resendCodeUpdate = defineUpdate<ResendResult, [ResendRequest]>('resendCode');
export const statusQuery = defineQuery<ChangeStatus>('status');
