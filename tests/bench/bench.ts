/**
 * `npm run bench`: how many phone changes one small machine carries, how quickly a citizen gets an
 * answer, what a waiting change costs, and how far that is from Temporal's own floor. Prints
 * figures and writes bench-results/latest.{json,md}. Never asserts on timings.
 *
 * Settings (environment): BENCH_CHANGES (200), BENCH_CONCURRENCY (20), BENCH_WAITING (1000,10000).
 * With TEMPORAL_ADDRESS / NATS_URL set it uses those servers instead of starting its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { startNats, startTemporal, toolPaths, type RunningServer } from '../../temporal-config/stack';
import { startSmtpSink } from '../../temporal-config/smtp-sink';
import { loadConfig } from '../../workers/config';
import { ensureNatsResources, SUBJECTS } from '../../activities/adapters/nats/resources';
import { NatsContactRegistry } from '../../activities/adapters/nats/registry';
import { registerAccount } from '../../activities/accounts';
import { deriveProofKeys, hashIdentity } from '../../activities/codes';
import { PhoneChangeClient } from '../../client/phone-change-client';
import { AesGcmCodec } from '../../activities/adapters/payload-codec';
import { floorProof, floorStart } from './floor.workflow';
import { sampleTree } from './proc';

const N = Number(process.env.BENCH_CHANGES ?? 200);
const C = Number(process.env.BENCH_CONCURRENCY ?? 20);
const WAITING = (process.env.BENCH_WAITING ?? '1000,10000').split(',').filter(Boolean).map(Number);
const IDENTITY = { fullName: 'Иванова Анна Сергеевна', passport: '4510 123456' };
/** The worker's master secret; the bench's client holds no key (SEC-5), only its back-office account set-up hashes identity data. */
const masterKey = randomBytes(32);
const proofKeys = deriveProofKeys(masterKey);
const payloadKey = { id: 'bench', key: randomBytes(32) };

const log = (msg: string) => console.log(`[bench] ${msg}`);
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number) => Math.round(x * 10) / 10;

/** Simulated phones: every SMS published to the outbox, by number. */
function phones(nc: Awaited<ReturnType<typeof connect>>) {
  const inbox = new Map<string, { kind: string; text: string }[]>();
  const waiters = new Map<string, (() => void)[]>();
  nc.subscribe(SUBJECTS.sms, {
    callback: (_e, m) => {
      const sms = m.json<{ to: string; kind: string; text: string }>();
      const list = inbox.get(sms.to) ?? [];
      list.push(sms);
      inbox.set(sms.to, list);
      for (const w of waiters.get(sms.to) ?? []) w();
    },
  });
  return {
    /** Waits for the first SMS of `kind` to `to`, returns its text. */
    async next(to: string, kind: string, timeoutMs = 60_000): Promise<string> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const hit = inbox.get(to)?.find((s) => s.kind === kind);
        if (hit) return hit.text;
        if (Date.now() > until) throw new Error(`no ${kind} SMS within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const list = waiters.get(to) ?? [];
          list.push(resolve);
          waiters.set(to, list);
          setTimeout(resolve, 500);
        });
      }
    },
  };
}

/** Linked services that acknowledge every change at once (AFTER-1), as healthy services would. */
function linkedServices(nc: Awaited<ReturnType<typeof connect>>) {
  const js = jetstream(nc);
  nc.subscribe('linked.*.phone_changed', {
    callback: (_e, m) => {
      const { accountId, requestId } = m.json<{ accountId: string; requestId: string }>();
      void js.publish(SUBJECTS.linkedAck(m.subject.split('.')[1]!), JSON.stringify({ accountId, requestId }));
    },
  });
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>, label: string): Promise<number> {
  let next = 0;
  let done = 0;
  let failures = 0;
  const t0 = Date.now();
  const timer = setInterval(() => log(`${label}: ${done}/${items.length} (${(done / ((Date.now() - t0) / 1000)).toFixed(1)}/s)`), 5000);
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        try {
          await fn(item);
        } catch (err) {
          failures++;
          if (failures <= 3) log(`${label} failure: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
        }
        done++;
      }
    }),
  );
  clearInterval(timer);
  return failures;
}

function spawnWorker(script: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
  child.once('exit', () => writeFileSync(logFile, out.join('')));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'phone-change-bench-'));
  const servers: RunningServer[] = [];
  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  let natsUrl = process.env.NATS_URL;
  const tools = toolPaths();
  if (!temporalAddress) {
    log('starting the Temporal dev server (SQLite, WAL) and nats-server');
    const t = await startTemporal({ bin: tools.temporal, dbFile: join(dir, 'temporal.db'), logFile: join(dir, 'temporal.log') });
    servers.push(t);
    temporalAddress = t.address;
  }
  if (!natsUrl) {
    const n = await startNats({ bin: tools.natsServer, storeDir: join(dir, 'nats'), logFile: join(dir, 'nats.log') });
    servers.push(n);
    natsUrl = n.address;
  }
  const smtp = await startSmtpSink();
  const { nats } = loadConfig({ ...process.env, NATS_URL: natsUrl });
  const nc = await connect({ servers: nats.servers });
  const res = await ensureNatsResources(nc, nats.replicas);
  const registry = new NatsContactRegistry(res.accounts, res.phoneIndex, res.requestIds);
  const sms = phones(nc);
  linkedServices(nc);
  const connection = await Connection.connect({ address: temporalAddress });
  const codec = new AesGcmCodec([payloadKey]);
  const temporal = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
  const client = new PhoneChangeClient({ client: temporal, taskQueue: 'phone-change-bench' });

  const workerEnv = {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: 'phone-change-bench',
    NATS_URL: natsUrl,
    SMTP_URL: smtp.url,
    PROOF_MASTER_KEY: masterKey.toString('base64'),
    PAYLOAD_KEYS: `${payloadKey.id}:${payloadKey.key.toString('base64')}`,
    LOG_LEVEL: 'warn',
    LIMIT_STARTS_PER_ACCOUNT: '1000/1h',
    LIMIT_STARTS_PER_NUMBER: '1000/1h',
    LIMIT_CODES_PER_NUMBER: '1000/1h',
  };
  const worker = spawnWorker(['workers/main.ts'], workerEnv, join(dir, 'worker.log'));

  let seq = 0;
  const newAccount = async () => {
    const n = ++seq;
    const account = {
      accountId: `bench-${n}-${randomUUID().slice(0, 6)}`,
      phone: `+7916${String(1_000_000 + n).padStart(7, '0')}`,
      phoneConfirmed: true,
      email: `b${n}@bench.test`,
      verified: true,
      language: 'ru' as const,
    };
    await registerAccount(registry, { ...account, identityHash: hashIdentity(proofKeys.identity, account.accountId, IDENTITY) });
    return account;
  };
  const newPhoneFor = (n: number) => `+7925${String(n).padStart(7, '0')}`;
  const tokenOf = (text: string) => text.trim().split('/').at(-1)!; // links end in /<account>/<token>
  const codeOf = (text: string) => /\b(\d{6})\b/.exec(text)![1]!;

  const timings = { firstCode: [] as number[], verdict: [] as number[], completion: [] as number[] };
  async function oneChange(i: number, record = true): Promise<void> {
    const account = await newAccount();
    const newPhone = newPhoneFor(i);
    const t0 = performance.now();
    await client.start({ accountId: account.accountId, newPhone, auth: 'two_factor', requestId: `BENCH${i}X${seq}` });
    const link = await sms.next(account.phone, 'identity_link');
    const t1 = performance.now();
    await client.confirmIdentity(account.accountId, { token: tokenOf(link), ...IDENTITY });
    const t2 = performance.now();
    const old = await sms.next(account.phone, 'code_old');
    const t3 = performance.now();
    const v = await client.submitCode(account.accountId, 'old', codeOf(old));
    const t4 = performance.now();
    if (v.outcome !== 'accepted') throw new Error(`old code ${v.outcome}`);
    const neu = await sms.next(newPhone, 'code_new');
    const t5 = performance.now();
    await client.submitCode(account.accountId, 'new', codeOf(neu));
    const result = await client.result(account.accountId);
    const t6 = performance.now();
    if (result.state !== 'completed') throw new Error(`change ended ${result.state}`);
    if (record) {
      timings.firstCode.push(t1 - t0);
      timings.verdict.push(t2 - t1, t4 - t3);
      timings.completion.push(t6 - t5);
    }
  }

  log('warming up (bundling in the worker, first changes)');
  const warm = await pool(
    [...Array(5).keys()].map((i) => 1_000_000 + i),
    5,
    (i) => oneChange(i, false),
    'warm-up',
  );
  if (warm > 0) throw new Error('warm-up changes failed; see the worker log in ' + dir);

  const before = sampleTree(worker.pid!);
  const tRun = performance.now();
  log(`running ${N} complete changes, concurrency ${C}`);
  const failures = await pool([...Array(N).keys()], C, (i) => oneChange(i), 'changes');
  const runSeconds = (performance.now() - tRun) / 1000;
  const after = sampleTree(worker.pid!);
  const historyLengths: number[] = [];
  for await (const wf of temporal.workflow.list({ query: `WorkflowType = 'phoneChange' AND ExecutionStatus = 'Completed'` })) {
    historyLengths.push(wf.historyLength ?? 0);
    if (historyLengths.length >= 20) break;
  }

  log('floor: the same shape with empty bodies');
  const floorWorker = spawnWorker(['tests/bench/floor-worker.ts'], { TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_TASK_QUEUE: 'floor' }, join(dir, 'floor-worker.log'));
  const raw = new Client({ connection });
  const floorOne = async () => {
    const id = `floor-${randomUUID()}`;
    const op = new WithStartWorkflowOperation('floorChange', { workflowId: id, taskQueue: 'floor', workflowIdConflictPolicy: 'FAIL' });
    await raw.workflow.executeUpdateWithStart(floorStart, { startWorkflowOperation: op });
    const h = raw.workflow.getHandle(id);
    for (const proof of ['identity', 'old', 'new']) await h.executeUpdate(floorProof, { args: [proof] });
    await h.result();
  };
  await pool([...Array(5).keys()], 5, floorOne, 'floor warm-up');
  const floorBefore = sampleTree(floorWorker.pid!);
  const tFloor = performance.now();
  const floorFailures = await pool([...Array(N).keys()], C, floorOne, 'floor');
  const floorSeconds = (performance.now() - tFloor) / 1000;
  const floorAfter = sampleTree(floorWorker.pid!);
  await stop(floorWorker);

  const waiting: { count: number; workerMbPerChange: number; serverMbPerChange: number | null; submitP50: number; startSeconds: number; failures: number }[] = [];
  // Waiting changes are opened cumulatively (1000, then 9000 more for 10000): memory per change is
  // measured against the state before the first one.
  const temporalPid = servers[0]?.process.pid;
  const wBase = sampleTree(worker.pid!);
  const sBase = temporalPid ? sampleTree(temporalPid) : undefined;
  let opened = 0;
  for (const w of [...WAITING].sort((a, b) => a - b)) {
    log(`opening changes that wait for the identity check: ${opened} → ${w}`);
    const tw = performance.now();
    const wf = await pool(
      [...Array(Math.max(0, w - opened)).keys()],
      50,
      async () => {
        const a = await newAccount();
        await client.start({ accountId: a.accountId, newPhone: newPhoneFor(5_000_000 + seq), auth: 'two_factor' });
      },
      `waiting ${w}`,
    );
    const startSeconds = (performance.now() - tw) / 1000;
    opened = w;
    const wa = sampleTree(worker.pid!);
    const sa = temporalPid ? sampleTree(temporalPid) : undefined;
    const rtts: number[] = [];
    for (let i = 0; i < 15; i++) {
      const a = await newAccount();
      await client.start({ accountId: a.accountId, newPhone: newPhoneFor(6_000_000 + seq), auth: 'two_factor' });
      const link = await sms.next(a.phone, 'identity_link');
      const t = performance.now();
      await client.confirmIdentity(a.accountId, { token: tokenOf(link), ...IDENTITY });
      rtts.push(performance.now() - t);
    }
    waiting.push({
      count: w,
      workerMbPerChange: (wa.rssMb - wBase.rssMb) / w,
      serverMbPerChange: sa && sBase ? (sa.rssMb - sBase.rssMb) / w : null,
      submitP50: pct(rtts, 50),
      startSeconds,
      failures: wf,
    });
  }

  const results = {
    at: new Date().toISOString(),
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      temporal: versions().temporal,
      natsServer: versions().nats,
      sdk: '1.24.0',
    },
    settings: { changes: N, concurrency: C, waiting: WAITING, persistence: process.env.TEMPORAL_ADDRESS ? 'external' : 'SQLite file, WAL, synchronous=normal' },
    changes: {
      completedPerSecond: N / runSeconds,
      failures,
      latencyMs: {
        startToFirstMessage: { p50: pct(timings.firstCode, 50), p95: pct(timings.firstCode, 95), p99: pct(timings.firstCode, 99) },
        submitToVerdict: { p50: pct(timings.verdict, 50), p95: pct(timings.verdict, 95), p99: pct(timings.verdict, 99) },
        lastCodeToCompleted: { p50: pct(timings.completion, 50), p95: pct(timings.completion, 95), p99: pct(timings.completion, 99) },
      },
      historyEventsPerChange: historyLengths.reduce((a, b) => a + b, 0) / Math.max(1, historyLengths.length),
      workerCpuSecondsPerChange: (after.cpuSeconds - before.cpuSeconds) / N,
      workerPeakRssMb: after.peakRssMb,
    },
    floor: { completedPerSecond: N / floorSeconds, failures: floorFailures, workerCpuSecondsPerChange: (floorAfter.cpuSeconds - floorBefore.cpuSeconds) / N },
    waiting,
    totalSeconds: (Date.now() - started) / 1000,
  };
  const ratio = results.changes.completedPerSecond / results.floor.completedPerSecond;
  const md = table(results, ratio);
  console.log(`\n${md}`);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/latest.json', JSON.stringify({ ...results, ratioToFloor: ratio }, null, 2));
  writeFileSync('bench-results/latest.md', md);
  log(`wrote bench-results/latest.json and latest.md in ${results.totalSeconds.toFixed(0)} s`);

  await stop(worker);
  await connection.close();
  await nc.close();
  await smtp.close();
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
  if (failures > 0 || floorFailures > 0) process.exitCode = 1;
}

function versions(): { temporal: string; nats: string } {
  const env = readFileSync(new URL('../../temporal-config/versions.env', import.meta.url), 'utf8');
  const v = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(env)?.[1] ?? '?';
  return { temporal: `CLI ${v('TEMPORAL_CLI_VERSION')}`, nats: v('NATS_SERVER_VERSION') };
}

type Results = {
  at: string;
  machine: Record<string, unknown>;
  settings: { changes: number; concurrency: number; persistence: string };
  changes: {
    completedPerSecond: number;
    failures: number;
    latencyMs: Record<string, { p50: number; p95: number; p99: number }>;
    historyEventsPerChange: number;
    workerCpuSecondsPerChange: number;
    workerPeakRssMb: number;
  };
  floor: { completedPerSecond: number; failures: number; workerCpuSecondsPerChange: number };
  waiting: { count: number; workerMbPerChange: number; serverMbPerChange: number | null; submitP50: number; startSeconds: number; failures: number }[];
};

function table(r: Results, ratio: number): string {
  const l = r.changes.latencyMs;
  const row = (name: string, x: { p50: number; p95: number; p99: number }) => `| ${name} | ${ms(x.p50)} | ${ms(x.p95)} | ${ms(x.p99)} |`;
  const m = r.machine;
  return [
    `Benchmark ${r.at.slice(0, 16)}Z: ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, Node ${m.node}, Temporal ${m.temporal}, nats-server ${m.natsServer}, SDK ${m.sdk}; ${r.settings.changes} changes at concurrency ${r.settings.concurrency}; ${r.settings.persistence}.`,
    '',
    '| throughput | completed/s | worker CPU s/change | failures |',
    '|---|---|---|---|',
    `| phone change (identity check, 2 codes, linked services) | ${r.changes.completedPerSecond.toFixed(1)} | ${r.changes.workerCpuSecondsPerChange.toFixed(3)} | ${r.changes.failures} |`,
    `| floor (same updates, activities and timers, empty) | ${r.floor.completedPerSecond.toFixed(1)} | ${r.floor.workerCpuSecondsPerChange.toFixed(3)} | ${r.floor.failures} |`,
    `| ratio real / floor | ${ratio.toFixed(2)} | | |`,
    '',
    '| latency (ms) | p50 | p95 | p99 |',
    '|---|---|---|---|',
    row('start → first SMS (identity link) published', l.startToFirstMessage!),
    row('proof submitted → verdict', l.submitToVerdict!),
    row('last code submitted → completed', l.lastCodeToCompleted!),
    '',
    `History events per change: ${r.changes.historyEventsPerChange.toFixed(0)}. Worker peak RSS: ${r.changes.workerPeakRssMb.toFixed(0)} MB.`,
    '',
    '| waiting changes | opened in s (cumulative steps) | worker MB/change | server MB/change | submission p50 ms while they wait | failures |',
    '|---|---|---|---|---|---|',
    ...r.waiting.map(
      (w) =>
        `| ${w.count} | ${w.startSeconds.toFixed(0)} | ${w.workerMbPerChange.toFixed(4)} | ${w.serverMbPerChange === null ? 'n/a' : w.serverMbPerChange.toFixed(4)} | ${ms(w.submitP50)} | ${w.failures} |`,
    ),
    '',
  ].join('\n');
}

main().catch((err: unknown) => {
  console.error(`[bench] failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
