/** What every activity shares: the run it belongs to, de-duplication ids and typed failures. */
import { Context } from '@temporalio/activity';
import { PhoneChangeError } from '../workflows/domain/errors';
import { toFailure } from '../workflows/failures';

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

/** How often a running activity heartbeats; well inside the proxies' heartbeat timeout (3 s). */
export const HEARTBEAT_EVERY_MS = 1000;

/**
 * Runs `fn` with a heartbeat every second. The first beat comes only after a second, so the usual
 * activity (milliseconds) costs no extra server round trip; a long one (a slow SMTP server) stays
 * alive, and one cut by a crash is noticed after the heartbeat timeout.
 */
async function heartbeating<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  if (ctx.info.isLocal) return fn();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Business errors leave an activity as non-retryable ApplicationFailures of their own type with
 * their details (which field, what to wait for), so the workflow and the client can act on them.
 * Every activity passes through here, so this is where the heartbeat is added too.
 */
export function withTypedFailures<T extends Record<string, (arg: never) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (arg: never) => {
      try {
        return await heartbeating(() => fn(arg));
      } catch (err) {
        throw err instanceof PhoneChangeError ? toFailure(err) : err;
      }
    };
  }
  return wrapped as T;
}
