/** The workflow id a recorded history ran under, for replaying it (the CLI's export does not keep it). */
import { defaultPayloadConverter } from '@temporalio/common';
import type { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { workflowIdFor } from '../../workflows/phone-change.defs';

/** A change refuses to run under any id but its account's (PRE-4), so its replay needs that id; other workflows take any. */
export function replayWorkflowId(history: ReturnType<typeof historyFromJSON>, fallback: string): string {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.workflowType?.name === 'phoneChange' ? started.input?.payloads?.[0] : undefined;
  return payload ? workflowIdFor(defaultPayloadConverter.fromPayload<{ accountId: string }>(payload).accountId) : fallback;
}
