/**
 * Update ids for the clients' updates (issue 15, point 5). A back end that retries a message after
 * a lost connection sends it again; with the same idempotency key the retry carries the same
 * update id, and Temporal answers it from the first update of the run (one effect, the same
 * answer). The id is namespaced by the update's name, so a key reused for another action never
 * returns that action's answer. No key, no id: Temporal makes a fresh one (each call acts).
 * Keys never hold caller data: they travel in clear in workflow history.
 */
import { z } from 'zod';
import { parse } from '../workflows/domain/schemas';

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
export const idempotencyKey = z
  .string('idempotencyKey must be text')
  .regex(IDEMPOTENCY_KEY_PATTERN, 'idempotencyKey must be 1 to 64 letters, digits, ".", "_", ":" or "-"')
  .meta({ description: 'one per message: a retry with the same key gets the first answer and acts once' });

const keyArg = z.object({ idempotencyKey });

export interface UpdateOptions {
  /** The caller's id of this message (e.g. its own request id for it, or the API's Idempotency-Key). */
  idempotencyKey?: string;
}

/** The `updateId` option of an update call, or nothing when the caller gave no key. */
export function updateIdFor(updateName: string, o?: UpdateOptions): { updateId?: string } {
  if (o?.idempotencyKey === undefined) return {};
  return { updateId: `${updateName}:${parse(keyArg, { idempotencyKey: o.idempotencyKey }).idempotencyKey}` };
}
