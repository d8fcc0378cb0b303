/**
 * Issue 13, "faults first": what happens when the things a worker depends on die. This file runs
 * a nats-server of its own (the shared one serves other files) so it can stop it for a minute.
 */
import { connect as netConnect } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { eventually, startHarness, type Harness } from '../support/harness';
import { kill, spawnWorker } from '../support/worker-process';
import { startOwnNats, type OwnNats } from '../support/own-nats';
import { freePort, toolPaths } from '../../temporal-config/stack';
import { startSmtpSink } from '../../temporal-config/smtp-sink';
import { SUBJECTS } from '../../activities/adapters/nats/resources';
import { workflowIdFor } from '../../workflows/phone-change.defs';
import type { Account } from '../../activities/ports';

const OUTAGE_MS = 60_000;

let nats: OwnNats;
let h: Harness;
beforeAll(async () => {
  nats = await startOwnNats('faults');
  h = await startHarness({ startWorker: false, natsUrl: nats.address });
});
afterAll(async () => {
  await h?.close();
  await nats?.stop();
});

async function readiness(port: number): Promise<{ status: number; body: { ready?: boolean; temporal?: string; nats?: string } }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as never };
}

describe('NATS outage (issue 13)', () => {
  it(
    'CH-1 DONE-1: NATS down 60 s mid-change; the same worker process reconnects and finishes all 5 changes, readiness flips, bridges resume, one e-mail per notice, SIGTERM exits 0',
    { timeout: 240_000 },
    async () => {
      const healthPort = await freePort();
      const worker: ChildProcess = spawnWorker(h, 'faults-worker', { NATS_URL: nats.address, WORKER_HEALTH_PORT: String(healthPort), BRIDGES: 'linked_acks,delivery_reports' });
      try {
        await eventually(async () => (await readiness(healthPort)).status === 200, 'worker ready', 60_000);
        expect((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status).toBe(200);

        const changes: { account: Account; newPhone: string; oldCode: string }[] = [];
        for (let i = 0; i < 5; i++) {
          const account = await h.newAccount();
          const newPhone = h.freshPhone();
          await h.client.start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
          changes.push({ account, newPhone, oldCode: await h.codeSentTo(account.phone) });
        }

        await nats.stop();
        const down = await eventually(async () => ((await readiness(healthPort)).status === 503 ? readiness(healthPort) : undefined), 'not ready while NATS is down');
        expect(down.body).toMatchObject({ ready: false, nats: 'disconnected', temporal: 'RUNNING' });
        // Temporal is up: the citizens go on, and the worker's next sends fail and are retried.
        for (const c of changes) expect((await h.client.submitCode(c.account.accountId, 'old', c.oldCode)).outcome).toBe('accepted');
        await new Promise((r) => setTimeout(r, OUTAGE_MS)); // the outage is the scenario
        await nats.start();

        const up = await eventually(async () => ((await readiness(healthPort)).status === 200 ? readiness(healthPort) : undefined), 'ready again', 60_000);
        expect(up.body).toMatchObject({ ready: true, nats: 'connected', temporal: 'RUNNING' });
        for (const c of changes) {
          const code = await eventually(() => h.codeSentTo(c.newPhone).catch(() => undefined), 'new-number code after the outage', 90_000);
          expect((await h.client.submitCode(c.account.accountId, 'new', code)).outcome).toBe('accepted');
        }
        for (const c of changes) expect((await h.client.result(c.account.accountId)).state).toBe('completed');
        expect(worker.exitCode).toBeNull(); // the same process did it all

        // The delivery-report bridge consumes again: an undeliverable notice falls back to e-mail.
        const first = changes[0]!;
        const done = await eventually(() => h.smsTo(first.newPhone).find((m) => m.kind === 'completed'), 'completion SMS');
        await jetstream(h.services.nc).publish(SUBJECTS.smsReport, JSON.stringify({ id: done.id, status: 'undeliverable' }));
        await h.smtp.waitFor((m) => m.to.includes(first.account.email!) && m.text.includes(done.text));

        // One e-mail per notice: every Message-ID arrived once.
        for (const c of changes) {
          await h.smtp.waitFor((m) => m.to.includes(c.account.email!) && m.subject === 'Номер телефона изменён');
          const ids = h.smtp.received.filter((m) => m.to.includes(c.account.email!)).map((m) => m.messageId);
          expect(ids.length).toBeGreaterThanOrEqual(2);
          expect(new Set(ids).size).toBe(ids.length);
        }

        // Issue 12 (v7): sends go out in one local activity; one that failed during the outage went
        // again alone as a regular activity, and those heartbeat: a crashed attempt is retried after
        // 3 s, not after its 20 s timeout.
        const scheduled = [];
        for (const c of changes) {
          const events = (await h.temporal.workflow.getHandle(workflowIdFor(c.account.accountId)).fetchHistory()).events ?? [];
          scheduled.push(...events.map((e) => e.activityTaskScheduledEventAttributes).filter((a) => a != null));
        }
        expect(scheduled.length).toBeGreaterThan(0);
        for (const a of scheduled) {
          expect(['notify', 'sendCode', 'sendIdentityLink', 'startLinkedSync']).toContain(a.activityType?.name);
          expect(String(a.heartbeatTimeout?.seconds)).toBe('3');
          expect(String(a.startToCloseTimeout?.seconds)).toBe('20');
        }

        // After the outage a shutdown still drains NATS and Temporal and exits cleanly.
        expect(await kill(worker, 'SIGTERM')).toBe(0);
      } finally {
        await kill(worker, 'SIGKILL');
      }
    },
  );
});

describe('NATS lost for good (issue 13)', () => {
  it('a worker whose NATS connection closes for good (the server now refuses its credentials) exits non-zero for its supervisor', { timeout: 120_000 }, async () => {
    const own = await startOwnNats('faults-auth');
    const healthPort = await freePort();
    const w = spawnWorker(h, 'faults-auth-worker', { NATS_URL: own.address, WORKER_HEALTH_PORT: String(healthPort) });
    const exited = new Promise<number | null>((resolve) => w.once('exit', resolve));
    let locked: ChildProcess | undefined;
    try {
      await eventually(async () => (await readiness(healthPort)).status === 200, 'worker ready', 60_000);
      await own.stop();
      const port = new URL(own.address).port;
      locked = spawn(toolPaths().natsServer, ['-a', '127.0.0.1', '-p', port, '--user', 'someone', '--pass', 'else'], { stdio: 'ignore' });
      expect(await exited).toBe(1);
    } finally {
      await kill(w, 'SIGKILL');
      if (locked) await kill(locked, 'SIGTERM');
    }
  });
});

describe('the development SMTP server (issue 13)', () => {
  it('CH-1: survives a client that dies mid-DATA (ECONNRESET), keeps no part of that mail, and accepts the next one', async () => {
    const sink = await startSmtpSink();
    try {
      const socket = netConnect(sink.port, '127.0.0.1');
      let said = '';
      socket.on('data', (d: Buffer) => (said += d.toString()));
      socket.on('error', () => undefined);
      const step = async (line: string, expectCode: string) => {
        const before = said.length;
        socket.write(`${line}\r\n`);
        await eventually(() => said.slice(before).includes(expectCode), `${expectCode} after ${line}`);
      };
      await eventually(() => said.startsWith('220'), 'greeting');
      await step('EHLO killer.test', '250');
      await step('MAIL FROM:<a@killer.test>', '250');
      await step('RCPT TO:<b@example.test>', '250');
      await step('DATA', '354');
      socket.write('Subject: cut short\r\n\r\nhalf a mail');
      socket.resetAndDestroy(); // RST: the server sees ECONNRESET mid-transaction

      const transport = nodemailer.createTransport(sink.url);
      await transport.sendMail({ from: 'a@phone-change.test', to: 'next@example.test', subject: 'whole', text: 'whole mail' });
      transport.close();
      const got = await sink.waitFor((m) => m.to.includes('next@example.test'));
      expect(got).toHaveLength(1);
      expect(sink.received.map((m) => m.subject)).toEqual(['whole']);
    } finally {
      await sink.close();
    }
  });
});
