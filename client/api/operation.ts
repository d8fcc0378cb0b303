/** One operation of the HTTP API (operations.ts, recovery-operations.ts): its route, scope, schemas, documented refusals and action. */
import type { z } from 'zod';
import type { Client } from '@temporalio/client';
import type { PhoneChangeClient } from '../phone-change-client';
import type { RecoveryClient } from '../recovery-client';
import type { ServiceScope } from './service-auth';
import { accountParams } from './schemas';

export interface OperationContext {
  client: PhoneChangeClient;
  recovery: RecoveryClient;
  temporal: Client;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
  /** The `Idempotency-Key` header of a keyed operation. */
  idempotencyKey?: string;
}

export interface Operation {
  operationId: string;
  method: 'GET' | 'POST';
  url: string;
  scope: ServiceScope;
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  status: 200 | 201;
  response: z.ZodType;
  /** Documented refusals besides 400/401/403 (and 413/415 for bodies), each produced by the contract test. */
  errors: number[];
  /** Takes an `Idempotency-Key` header: a retry with the same key reattaches to the first update (update-ids.ts). */
  keyed?: boolean;
  run(c: OperationContext): Promise<unknown>;
}

/** A POST acting on one account's change or recovery, answered 200. */
export function accountAction(o: Omit<Operation, 'method' | 'params' | 'status'>): Operation {
  return { method: 'POST', params: accountParams, status: 200, ...o };
}
