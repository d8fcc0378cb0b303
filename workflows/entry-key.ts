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
  return update === undefined ? undefined : `${kind}-entry-${update}`;
}
