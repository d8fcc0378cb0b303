/** What every activity shares: the run it belongs to, de-duplication ids and typed failures. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { PhoneChangeError } from '../workflows/domain/errors';

/** `<workflowId>/<runId>/<key>`: stable across retries of one activity, unique across runs. */
export function dedupId(key: string): string {
  const { workflowId, runId } = currentRun();
  return `${workflowId}/${runId}/${key}`;
}

export function currentRun(): { workflowId: string; runId: string } {
  const run = Context.current().info.workflowExecution;
  if (!run) throw new Error('phone-change activities run only inside a workflow');
  return run;
}

/**
 * Business errors leave an activity as non-retryable ApplicationFailures of their own type with
 * their details (which field, what to wait for), so the workflow and the client can act on them.
 */
export function withTypedFailures<T extends Record<string, (arg: never) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (arg: never) => {
      try {
        return await fn(arg);
      } catch (err) {
        if (err instanceof PhoneChangeError) {
          throw ApplicationFailure.create({ type: err.name, message: err.message, details: [err.details], nonRetryable: true });
        }
        throw err;
      }
    };
  }
  return wrapped as T;
}

