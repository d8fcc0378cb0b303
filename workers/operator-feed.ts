/**
 * SIG-2: the operator's feed of reassigned numbers. The operator publishes
 * `{ "numbers": ["+7916..."], "reassignedOn"?: "YYYY-MM-DD" }` on `operator.numbers.reassigned`
 * (a request gets a reply). Every message is parsed strictly (size, type, E.164, at most 1000
 * numbers); a valid one starts a recycled-number check of exactly those numbers (one workflow per
 * distinct list, so a repeated message is one check). The check asks Number Recycling for each
 * number and releases only what the operator's API confirms: a forged publish costs API calls,
 * never a binding. A core-NATS queue group shares the feed between workers; a message published
 * while no worker listens is caught by the next scheduled sweep.
 */
import { createHash } from 'node:crypto';
import type { NatsConnection, Msg } from '@nats-io/transport-node';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { feedMessageSchema, OPERATOR_FEED_SUBJECT } from '../workflows/recycling.defs';

const MAX_MESSAGE_BYTES = 64 * 1024;

export type FeedReply = { accepted: true; workflowId: string; numbers: number } | { accepted: false; error: string };

export interface OperatorFeedOptions {
  nc: NatsConnection;
  client: Client;
  taskQueue: string;
  logger?: { warn(o: object, msg: string): void };
}

export async function startOperatorFeed(o: OperatorFeedOptions): Promise<() => Promise<void>> {
  const sub = o.nc.subscribe(OPERATOR_FEED_SUBJECT, { queue: 'phone-change-operator-feed' });
  const done = (async () => {
    for await (const m of sub) {
      const reply = await handle(o, m).catch((err: unknown): FeedReply => ({ accepted: false, error: `not started: ${(err as Error).message}`.slice(0, 200) }));
      if (!reply.accepted) o.logger?.warn({ error: reply.error }, 'operator feed message refused');
      if (m.reply) m.respond(JSON.stringify(reply));
    }
  })();
  return async () => {
    sub.unsubscribe();
    await done;
  };
}

async function handle(o: OperatorFeedOptions, m: Msg): Promise<FeedReply> {
  if (m.data.length > MAX_MESSAGE_BYTES) return { accepted: false, error: `message larger than ${MAX_MESSAGE_BYTES} bytes` };
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(m.data));
  } catch {
    return { accepted: false, error: 'not JSON' };
  }
  const parsed = feedMessageSchema.safeParse(body);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return { accepted: false, error: `${i.path.join('.') || 'message'}: ${i.message}`.slice(0, 200) };
  }
  const numbers = [...new Set(parsed.data.numbers)].sort();
  const workflowId = `recycling-feed/${createHash('sha256').update(numbers.join(',')).digest('hex').slice(0, 24)}`;
  try {
    await o.client.workflow.start('recyclingSweep', { workflowId, taskQueue: o.taskQueue, args: [{ numbers, source: 'feed' }], workflowIdReusePolicy: 'ALLOW_DUPLICATE' });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return { accepted: true, workflowId, numbers: numbers.length };
}

/** SIG-2 beside the worker when an operator API is configured: the feed, and the sweep's schedule (created once). */
export async function startRecyclingServices(o: OperatorFeedOptions & { every?: string }): Promise<() => Promise<void>> {
  if (!o.every) return async () => undefined;
  const { ensureRecyclingSchedule } = await import('./recycling-schedule');
  await ensureRecyclingSchedule(o.client, o.taskQueue, o.every);
  return startOperatorFeed(o);
}
