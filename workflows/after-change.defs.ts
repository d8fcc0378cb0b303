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

/**
 * AFTER-1, issue 12: a linked-service acknowledgement. The bridge sends the services acknowledged
 * for one sync within a short window together (`services`, one signal, so one workflow task);
 * `service` is the form of one acknowledgement per signal, which v6/v7 histories, in-flight
 * signals of older bridges, and the bridge with `LINKED_ACK_BATCH_MS=0` carry.
 */
export type LinkedAck = { services: string[] } | { service: string };
/** SEC-7: bounds of a `linkedAck` signal's payload; a payload outside them is ignored whole. */
export const LINKED_ACK_MAX_SERVICES = 16;
export const LINKED_SERVICE_NAME_MAX = 64;

/**
 * SEC-7: the services a `linkedAck` payload acknowledges, or none when it is malformed (anyone who
 * can reach Temporal may send this signal: a payload that is not an object, a `services` that is
 * not an array of at most 16 strings of at most 64 characters, or a `service` that is not such a
 * string, acknowledges nothing, and nothing in it may throw).
 */
export function acknowledgedServices(payload: unknown): string[] {
  if (typeof payload !== 'object' || payload === null) return [];
  const { services, service } = payload as { services?: unknown; service?: unknown };
  const valid = (s: unknown): s is string => typeof s === 'string' && s.length <= LINKED_SERVICE_NAME_MAX;
  if (services !== undefined) return Array.isArray(services) && services.length <= LINKED_ACK_MAX_SERVICES && services.every(valid) ? [...services] : [];
  return valid(service) ? [service] : [];
}

/**
 * SEC-7: records the acks of one signal in `acked` (service -> when). Anyone who reaches Temporal
 * may send the signal as often as they like, so what it keeps is bounded: once the services told
 * are known (`services`), only theirs count; before that (an ack may overtake the announcement's
 * completion) at most LINKED_ACK_MAX_SERVICES names are kept, and the sync drops those it did not
 * tell once it knows (a genuine early ack crowded out is sent again at the next reminder).
 */
export function recordAcks(acked: Map<string, string>, services: readonly string[], names: readonly string[], at: string): void {
  for (const name of names) {
    if (acked.has(name)) continue;
    if (services.length > 0 ? services.includes(name) : acked.size < LINKED_ACK_MAX_SERVICES) acked.set(name, at);
  }
}

export const linkedAckSignal = defineSignal<[LinkedAck]>('linkedAck');
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
