/**
 * Contracts of what follows a change: linked-service sync (AFTER-1), revert (DONE-4) and test
 * delivery (AFTER-2). Shared by the workflows, the client and the CLI.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FailureInfo } from './phone-change.defs';

export function linkedSyncWorkflowId(accountId: string, requestId: string): string {
  return `linked-sync/${accountId}/${requestId}`;
}
export function revertWorkflowId(accountId: string, requestId: string): string {
  return `phone-revert/${accountId}/${requestId}`;
}
export function testDeliveryWorkflowId(accountId: string): string {
  return `test-delivery/${accountId}`;
}

export interface LinkedSyncInput {
  accountId: string;
  requestId: string;
  newPhone: string;
  waitMs: number;
  remindEveryMs: number;
}

export interface LinkedSyncStatus {
  state: 'syncing' | 'synced' | 'not_synced';
  services: { name: string; acknowledgedAt?: string }[];
  pending: string[];
  reminders: number;
}

export const linkedAckSignal = defineSignal<[{ service: string }]>('linkedAck');
export const linkedStatusQuery = defineQuery<LinkedSyncStatus>('linkedStatus');

export interface RevertInput {
  accountId: string;
  /** The change to undo. */
  requestId: string;
  /** The operator's signed credential (JWT); needs the role support:revert. */
  credential: string;
  reason: string;
  windowMs: number;
}

export interface RevertOutcome {
  state: 'reverted' | 'refused';
  failure?: FailureInfo;
}

export interface TestDeliveryInput {
  accountId: string;
  requestId: string;
  ttlMs: number;
}

export interface TestDeliveryResult {
  confirmed: boolean;
  phoneMasked?: string;
  failure?: FailureInfo;
}

export const confirmTestCodeUpdate = defineUpdate<{ confirmed: boolean }, [{ codeHash: string }]>('confirmTestCode');
