/** OTP-4, AFTER-2: wrong entries' notices, keyed so that a task run again after a crash sends each once. */
import { currentUpdateInfo } from '@temporalio/workflow';

/**
 * The key of the notice of one wrong entry: the update that brought it. A workflow task that runs
 * again after a crash may take that entry beside others the citizen sent meanwhile, in another
 * order: a key from the change's notice sequence or from a count of entries would then differ
 * from the first attempt's, and its push go out (and the account's limit be charged) twice.
 */
export function entryKey(kind: string): string | undefined {
  const update = currentUpdateInfo()?.id;
  // The id is the caller's: one this product's clients would not send (too long for a message id,
  // or with a NATS wildcard) keys its notice by the change's sequence instead.
  return update !== undefined && UPDATE_ID.test(update) ? `${kind}-entry-${update}` : undefined;
}

/** What the clients send: `<update>:<idempotency key>` or the SDK's UUID. */
const UPDATE_ID = /^[\w:-]{1,160}$/;
