/**
 * Contracts of what follows a change: linked-service sync (AFTER-1), revert (DONE-4) and test
 * delivery (AFTER-2). Shared by the workflows, the client and the CLI.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FailureInfo } from './phone-change.defs';
import type { LinkedSyncState } from './domain/outcomes';

export function linkedSyncWorkflowId(accountId: string, requestId: string): string {
  return `linked-sync/${accountId}/${requestId}`;
}
export function revertWorkflowId(accountId: string, requestId: string): string {
  return `phone-revert/${accountId}/${requestId}`;
}
export function testDeliveryWorkflowId(accountId: string): string {
  return `test-delivery/${accountId}`;
}

/** The number linked services learn is read from the registry, never taken from this input. */
export interface LinkedSyncInput {
  accountId: string;
  requestId: string;
}

export interface LinkedSyncStatus {
  /** `reverted`: the change was undone (DONE-4); services were told the restored number. */
  state: LinkedSyncState;
  services: { name: string; acknowledgedAt?: string }[];
  pending: string[];
  reminders: number;
}

export const linkedAckSignal = defineSignal<[{ service: string }]>('linkedAck');
/** DONE-4: the change was reverted; the sync stops and services learn the restored number. */
export const linkedRevertedSignal = defineSignal<[]>('linkedReverted');
export const linkedStatusQuery = defineQuery<LinkedSyncStatus>('linkedStatus');

export interface RevertInput {
  accountId: string;
  /** The change to undo. */
  requestId: string;
  /** The operator's signed credential (JWT), bound to this change and the action support:revert. */
  credential: string;
  reason: string;
}

export interface RevertOutcome {
  state: 'reverted' | 'refused';
  failure?: FailureInfo;
}

/** How long the code lives and how many wrong entries it takes come from the worker's policy. */
export interface TestDeliveryInput {
  accountId: string;
  requestId: string;
}

export interface TestDeliveryResult {
  confirmed: boolean;
  phoneMasked?: string;
  failure?: FailureInfo;
}

export const confirmTestCodeUpdate = defineUpdate<{ confirmed: boolean; attemptsLeft: number }, [{ code: string }]>('confirmTestCode');
