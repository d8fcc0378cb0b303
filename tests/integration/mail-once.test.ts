/**
 * CH-1, CH-3: one e-mail per notice when the worker process dies, or NATS fails, at each point of
 * the SMTP transaction. The SMTP sink holds the transaction at a stage; the test kills there.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporal as proto } from '@temporalio/proto';
import { eventually, startHarness, type Harness } from '../support/harness';
import { kill, spawnWorker } from '../support/worker-process';
import { startOwnNats, type OwnNats } from '../support/own-nats';
import type { SmtpStage } from '../../temporal-config/smtp-sink';
import { workflowIdFor } from '../../workflows/phone-change.defs';
import type { Account } from '../../activities/ports';

/** The next transaction to hold at `stage`: `reached` resolves there, the server goes on after `release()`. */
let hold: { stage: SmtpStage; reached: () => void; released: Promise<void> } | undefined;
function holdAt(stage: SmtpStage): { reached: Promise<void>; release: () => void } {
  let release!: () => void;
  let reached!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const reachedP = new Promise<void>((r) => (reached = r));
  hold = { stage, reached, released };
  return { reached: reachedP, release };
}

let nats: OwnNats;
let h: Harness;
beforeAll(async () => {
  nats = await startOwnNats('mail-once');
  h = await startHarness({
    startWorker: false,
    natsUrl: nats.address,
    smtp: {
      async pauseAt(stage) {
        if (hold?.stage !== stage) return;
        const held = hold;
        hold = undefined;
        held.reached();
        await held.released;
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
  await nats?.stop();
});

const worker = (name: string) => spawnWorker(h, name, { NATS_URL: nats.address });
const REQUESTED_SUBJECT = 'Запрошена смена номера телефона';

/**
 * Starts a change whose first notice e-mails the citizen. Not awaited by the caller before the
 * hold is reached: the start answers only after that notice went out.
 */
function requestNotice(account: Account): Promise<unknown> {
  return h.client.start({ accountId: account.accountId, newPhone: h.freshPhone(), auth: 'two_factor' }).catch((e: unknown) => e);
}
async function noticeDone(account: Account): Promise<void> {
  await eventually(async () => (await h.client.history(account.accountId)).some((e) => e.kind === 'requested'), 'the notice activity finished', 60_000);
}
const mailsTo = (account: Account) => h.smtp.received.filter((m) => m.to.includes(account.email!) && m.subject === REQUESTED_SUBJECT);

/**
 * Why the notice's last attempt was needed. v7 sends it in a local activity inside the workflow
 * task (issue 12): the dead worker's task timed out and the next worker ran it again. A regular
 * `notify` (a retry after a failed send) would show that its predecessor stopped heartbeating.
 */
async function retryCause(account: Account): Promise<proto.api.enums.v1.TimeoutType | null | undefined> {
  const events = (await h.temporal.workflow.getHandle(workflowIdFor(account.accountId)).fetchHistory()).events ?? [];
  const taskTimedOut = events.find((e) => e.workflowTaskTimedOutEventAttributes);
  if (taskTimedOut) return taskTimedOut.workflowTaskTimedOutEventAttributes?.timeoutType;
  const notify = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notify');
  const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(notify?.eventId));
  return started?.activityTaskStartedEventAttributes?.lastFailure?.timeoutFailureInfo?.timeoutType;
}

/** Kills the worker while the SMTP sink holds the notice's transaction at `stage`, then lets a new worker retry it. */
async function killAt(stage: SmtpStage, account: Account): Promise<ChildProcess> {
  const first = worker(`mail-${stage}-1`);
  try {
    const held = holdAt(stage);
    const started = requestNotice(account);
    await held.reached;
    await kill(first, 'SIGKILL');
    held.release();
    const second = worker(`mail-${stage}-2`);
    await started;
    return second;
  } finally {
    await kill(first, 'SIGKILL');
  }
}

describe('e-mail exactly once (CH-1, CH-3)', () => {
  it(
    'CH-3: a worker killed once connected to the SMTP server, before the mail: the retry on a new worker (after the workflow task timeout: the send is local) sends it once',
    { timeout: 120_000 },
    async () => {
      const account = await h.newAccount();
      const w = await killAt('connect', account);
      try {
        await noticeDone(account);
        expect(mailsTo(account)).toHaveLength(1);
        expect(await retryCause(account)).toBe(proto.api.enums.v1.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
      } finally {
        await kill(w, 'SIGKILL');
      }
    },
  );

  it('CH-3: the residual window: a worker killed after the server accepted the mail but before it heard the 250 makes a second copy with the same Message-ID', { timeout: 120_000 }, async () => {
    const account = await h.newAccount();
    const w = await killAt('accepted', account);
    try {
      await noticeDone(account);
      // SMTP cannot be asked whether it has a message: the retry must send again or risk losing it.
      const copies = mailsTo(account);
      expect(copies).toHaveLength(2);
      expect(new Set(copies.map((m) => m.messageId)).size).toBe(1);
    } finally {
      await kill(w, 'SIGKILL');
    }
  });

  it('CH-1: NATS fails between the SMTP 250 and the "sent" marker; the retried notice sends no second e-mail', { timeout: 180_000 }, async () => {
    const w = worker('mail-nats');
    try {
      const account = await h.newAccount();
      const held = holdAt('accepted');
      const started = requestNotice(account);
      await held.reached;
      await nats.stop();
      held.release(); // the 250 reaches the worker; the marker cannot be stored
      const handle = h.temporal.workflow.getHandle(workflowIdFor(account.accountId));
      await eventually(async () => ((await handle.describe()).raw.pendingActivities ?? []).some((a) => (a.attempt ?? 0) >= 2), 'the notice failed and is being retried', 60_000);
      await nats.start();
      await started;
      await noticeDone(account);
      expect(mailsTo(account)).toHaveLength(1);
      expect(w.exitCode).toBeNull();
    } finally {
      await kill(w, 'SIGKILL');
    }
  });
});
