/**
 * Activities in Temporal's MockActivityEnvironment over the in-memory fakes: the real activity code
 * with its typed-failure wrapper, in the context of one workflow run, without any server.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { expect } from 'vitest';
import { createActivities, type PhoneChangeActivities } from '../../activities';
import type { Account } from '../../activities/ports';
import { fakePorts, type FakePorts } from './fakes';

export interface ActivityRun {
  workflowId: string;
  runId: string;
}

// Typed refusals are the outcomes under test: the SDK's "Activity failed" WARN for each would drown the output.
const noop = () => undefined;
const errorsOnly: Logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: (message, meta) => console.error(message, meta) };

/** The activities over `ports`, each call run as an activity of the workflow run `run`. */
export function activityEnv(ports: FakePorts = fakePorts(), run: ActivityRun = { workflowId: 'phone-change/acct-1', runId: 'run-1' }) {
  const env = new MockActivityEnvironment({ workflowExecution: run }, { logger: errorsOnly });
  const activities = createActivities(ports);
  return {
    ports,
    run,
    /** `<workflowId>/<runId>/<key>`: the de-duplication id the activity must use for `key`. */
    id: (key: string) => `${run.workflowId}/${run.runId}/${key}`,
    call<K extends keyof PhoneChangeActivities>(name: K, ...args: Parameters<PhoneChangeActivities[K]>): ReturnType<PhoneChangeActivities[K]> {
      const fn = activities[name] as (...a: unknown[]) => Promise<unknown>;
      return env.run<unknown[], unknown, typeof fn>(fn, ...(args as unknown[])) as ReturnType<PhoneChangeActivities[K]>;
    },
    /** The same ports in another run of the same workflow (a new change). */
    otherRun: (runId: string) => activityEnv(ports, { ...run, runId }),
  };
}

/** An account in the fake registry, its number bound in the index, as a back office would add it. */
export async function seedAccount(ports: FakePorts, overrides: Partial<Account> = {}): Promise<Account> {
  const account: Account = { accountId: 'acct-1', phone: '+79160000001', phoneConfirmed: true, verified: true, language: 'ru', email: 'anna@example.test', ...overrides };
  await ports.registry.claimPhone(account.phone, account.accountId);
  await ports.registry.putAccount(account, 0);
  return account;
}

/**
 * A business refusal leaves an activity as a non-retryable ApplicationFailure of the error's own
 * type with its details (activities/context.ts): asserts that and returns the details.
 */
export async function expectFailure(p: Promise<unknown>, type: string, details: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({ type, nonRetryable: true });
  const got = (failure.details?.[0] ?? {}) as Record<string, unknown>;
  expect(got).toMatchObject(details);
  return got;
}
