/**
 * Access recovery's contract (REC-1, REC-2), shared by the workflows, the client and the CLI:
 * identifiers, updates, the status query and the input schemas. A new password never travels in
 * clear: the client seals it to the worker's password key (SECURITY.md "Passwords"), so workflow
 * history holds only a sealed blob that no history reader can open.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN, E164_PATTERN, overrideMethods, REQUEST_ID_PATTERN } from './domain/schemas';
import type { CodeVerdict, OverrideMethod, OperatorRef } from './phone-change.defs';

export const passwordResetWorkflowId = (accountId: string) => `password-reset/${accountId}`;
export const supportRecoveryWorkflowId = (accountId: string) => `support-recovery/${accountId}`;

/** The sealed-password format: `v1.<ephemeral X25519 public key>.<nonce>.<AES-256-GCM ciphertext+tag>`, base64url parts. */
export const SEALED_PATTERN = /^v1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{40,1400}$/;
export const SEAL_INFO = 'phone-change/password-seal/v1';

export const recoveryStates = ['validating', 'awaiting_code', 'awaiting_support', 'awaiting_first_login', 'completed', 'refused', 'expired', 'failed'] as const;
export type RecoveryState = (typeof recoveryStates)[number];

export interface RecoveryInput {
  accountId: string;
  requestId: string;
}

export interface RecoveryStatus {
  accountId: string;
  requestId: string;
  kind: 'email_reset' | 'support';
  state: RecoveryState;
  codesLeft?: number;
  attemptsLeft?: number;
  codeExpiresAt?: string;
  /** REC-2: when the temporary password stops working. */
  temporaryExpiresAt?: string;
  operator?: OperatorRef;
  failure?: { type: string; message: string };
}

/** REC-2: support's decision, with the operator's credential bound to this action (SEC-6) and how identity was proved (LOST-2). */
export interface EnableLoginRequest {
  credential: string;
  method: OverrideMethod;
  evidenceRef: string;
  reason: string;
  /** Where the temporary password goes: the citizen's new number, E.164. */
  newPhone: string;
}

const sealed = z.string('password must be sealed text').max(1600, 'the sealed password is too long').regex(SEALED_PATTERN, 'password must be sealed to the worker key (client library)');

export const recoverySchemas = {
  input: z.strictObject({ accountId: z.string().max(64).regex(ACCOUNT_ID_PATTERN), requestId: z.string().max(64).regex(REQUEST_ID_PATTERN) }),
  password: z.strictObject({ password: sealed }),
  noArgs: z.undefined().or(z.strictObject({})),
  enableLogin: z.strictObject({
    credential: z
      .string()
      .max(4096)
      .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'credential must be a signed operator token'),
    method: z.enum(overrideMethods, 'method must be one of the LOST-2 methods'),
    evidenceRef: z.string().min(1, 'evidenceRef is required').max(200),
    reason: z.string().min(1, 'reason is required').max(500),
    newPhone: z.string().max(16).regex(E164_PATTERN, 'newPhone must be in E.164 form'),
  }),
};

/** REC-1: the e-mail code and the new password, sealed together (the code never enters history in clear). */
export const resetPasswordUpdate = defineUpdate<CodeVerdict, [{ password: string }]>('resetPassword');
export const resendResetCodeUpdate = defineUpdate<RecoveryStatus, []>('resendResetCode');
/** REC-2 at first login: the new password with the temporary one, sealed. */
export const setPasswordUpdate = defineUpdate<RecoveryStatus, [{ password: string }]>('setPassword');
export const enableLoginUpdate = defineUpdate<RecoveryStatus, [EnableLoginRequest]>('enableLogin');
export const recoveryStatusQuery = defineQuery<RecoveryStatus>('recoveryStatus');
