/**
 * `npm run bench`: how many phone changes one small machine carries, how quickly a citizen gets an
 * answer, what a waiting change costs, and how far that is from Temporal's own floor. Prints
 * figures and writes bench-results/latest.{json,md}. Never asserts on timings.
 *
 * Settings (environment): BENCH_CHANGES (200), BENCH_CONCURRENCY (20), BENCH_CHANGES_AT_4 (40),
 * BENCH_CITIZEN_PAUSE_MS (1000: the citizens' pause between steps in the paced run at 4),
 * BENCH_WAITING (1000,10000), BENCH_WORKERS (1,2), WORKER_* (passed to the workers, e.g.
 * WORKER_MAX_CACHED_WORKFLOWS). Beside each phase the machine's load average is recorded: the
 * machine may be shared, so compare ratios (real / floor) from the same run.
 * With TEMPORAL_ADDRESS / NATS_URL set it uses those servers instead of starting its own.
 * Beside the workers' CPU it reads the Temporal server's, nats-server's and its own per change, for
 * the real changes and the floor: on one machine throughput is the cores over the sum of them.
 * BENCH_RENDER=<results.json> prints the tables of an earlier run again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import protos from '@temporalio/proto';
import { workflowIdFor } from '../../workflows/phone-change.defs';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { freePort, historyCacheSize, startNats, startTemporal, toolPaths, type RunningServer } from '../../temporal-config/stack';
import { natsLiveHeapBytes } from './go-heap';
import { startSmtpSink } from '../../temporal-config/smtp-sink';
import { loadConfig } from '../../workers/config';
import { ensureNatsResources, SUBJECTS } from '../../activities/adapters/nats/resources';
import { NatsContactRegistry } from '../../activities/adapters/nats/registry';
import { registerAccount } from '../../activities/accounts';
import { deriveProofKeys, hashIdentity } from '../../activities/codes';
import { PhoneChangeClient } from '../../client/phone-change-client';
import { AesGcmCodec } from '../../activities/adapters/payload-codec';
import { floorProof, floorStart } from './floor.workflow';
import { busyShare, machineCpu, sampleTree } from './proc';

const N = Number(process.env.BENCH_CHANGES ?? 200);
const C = Number(process.env.BENCH_CONCURRENCY ?? 20);
/** What a citizen feels: latencies at low load, from this many changes at concurrency 4. */
const N4 = Number(process.env.BENCH_CHANGES_AT_4 ?? 40);
/**
 * The paced run at 4: a citizen pauses this long on average (half to one and a half times) before
 * each step (opening the link, typing each code), as people do; 0 leaves the paced run out. The
 * run at 4 without pauses is a closed loop that keeps the 2 cores busy by itself.
 */
const PAUSE_MS = Number(process.env.BENCH_CITIZEN_PAUSE_MS ?? 1000);
const WAITING = (process.env.BENCH_WAITING ?? '1000,10000').split(',').filter(Boolean).map(Number);
/** Worker processes to run the throughput phase with (each count with its own floor). */
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2').split(',').filter(Boolean).map(Number);
/** The dev server's cache of changes (TEMPORAL_HISTORY_CACHE_SIZE; temporal-config/stack.ts default 500). */
const SERVER_CACHE = historyCacheSize();
/** The workers' cache bound (WORKER_MAX_CACHED_WORKFLOWS; workers/config.ts default 250). */
const CACHE = process.env.WORKER_MAX_CACHED_WORKFLOWS ?? '250';
/** Node options for the worker processes only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them. */
const HEAP_DIR = process.env.BENCH_HEAP_SNAPSHOTS;
const IDLE_S = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
/** How long Go's scavenger is given to return a collected heap to the system (it did within 10 s). */
const SCAVENGE_MS = 10_000;
const WORKER_NODE_ARGS = [...(process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean), ...(HEAP_DIR ? ['--import', fileURLToPath(new URL('./heap-probe.mjs', import.meta.url))] : [])];
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
const pcts = (xs: number[]): Pct => ({ p50: pct(xs, 50), p95: pct(xs, 95), p99: pct(xs, 99) });

/** Simulated phones: every SMS published to the outbox, by number. */
function phones(nc: Awaited<ReturnType<typeof connect>>) {
  const inbox = new Map<string, { kind: string; text: string; at: number }[]>();
  const waiters = new Map<string, (() => void)[]>();
  nc.subscribe(SUBJECTS.sms, {
    callback: (_e, m) => {
      const sms = { ...m.json<{ to: string; kind: string; text: string }>(), at: performance.now() };
      const list = inbox.get(sms.to) ?? [];
      list.push(sms);
      inbox.set(sms.to, list);
      for (const w of waiters.get(sms.to) ?? []) w();
    },
  });
  return {
    /** Waits for the first SMS of `kind` to `to`, returns its text. */
    async next(to: string, kind: string, timeoutMs = 60_000): Promise<string> {
      return (await this.received(to, kind, timeoutMs)).text;
    },
    /** Waits for the first SMS of `kind` to `to`, returns it with the moment it arrived (performance.now()). */
    async received(to: string, kind: string, timeoutMs = 60_000): Promise<{ text: string; at: number }> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const hit = inbox.get(to)?.find((s) => s.kind === kind);
        if (hit) return hit;
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
  // Through the allocator script, as `npm run worker` runs it (jemalloc unless WORKER_ALLOCATOR=system).
  const child = spawn('bash', ['temporal-config/allocator.sh', process.execPath, ...WORKER_NODE_ARGS, '--import', 'tsx', ...script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
  spawned.add(child);
  child.once('exit', (code, signal) => {
    spawned.delete(child);
    writeFileSync(logFile, out.join(''));
    // A worker that dies mid-run would leave the bench waiting on changes nobody runs: say so.
    if (!stopping.has(child)) log(`a worker process exited (code ${code}, signal ${signal}); its output: ${out.join('').slice(-2000) || '(none)'}`);
  });
  return child;
}

const stopping = new WeakSet<ChildProcess>();
/** Workers still running: a failed bench stops them too (they would outlive it, polling servers that are gone). */
const spawned = new Set<ChildProcess>();
async function stop(child: ChildProcess): Promise<void> {
  stopping.add(child);
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  if (process.env.BENCH_RENDER) return render(process.env.BENCH_RENDER);
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'phone-change-bench-'));
  const servers: RunningServer[] = [];
  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  let natsUrl = process.env.NATS_URL;
  const tools = toolPaths();
  // Where nats-server's live heap can be read (only of a server the bench starts itself).
  let profilePort: number | undefined;
  if (!temporalAddress) {
    log('starting the Temporal dev server (SQLite, WAL) and nats-server');
    const t = await startTemporal({ bin: tools.temporal, dbFile: join(dir, 'temporal.db'), logFile: join(dir, 'temporal.log'), historyCacheSize: SERVER_CACHE });
    servers.push(t);
    temporalAddress = t.address;
  }
  if (!natsUrl) {
    profilePort = await freePort();
    const n = await startNats({ bin: tools.natsServer, storeDir: join(dir, 'nats'), logFile: join(dir, 'nats.log'), profilePort });
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
    ...(HEAP_DIR ? { HEAP_PROBE_DIR: HEAP_DIR } : {}),
  };
  const worker = spawnWorker(['workers/main.ts'], workerEnv, join(dir, 'worker.log'));
  const temporalPid = servers.find((x) => x.address === temporalAddress)?.process.pid;
  const natsPid = servers.find((x) => x.address === natsUrl)?.process.pid;
  /** CPU seconds so far of the processes beside the workers: where the rest of a change's CPU goes. */
  const othersCpu = (): OthersCpu => {
    const u = process.cpuUsage();
    return {
      temporal: temporalPid ? sampleTree(temporalPid).cpuSeconds : NaN,
      nats: natsPid ? sampleTree(natsPid).cpuSeconds : NaN,
      bench: (u.user + u.system) / 1e6,
    };
  };
  const perChange = (a: OthersCpu, b: OthersCpu): OthersCpu => ({ temporal: (b.temporal - a.temporal) / N, nats: (b.nats - a.nats) / N, bench: (b.bench - a.bench) / N });

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

  // verdict: both proofs; identityVerdict / oldCodeVerdict: each apart (the identity's leaves with the
  // old number's code, two local activities; the old code's with the SIM check and the new code, three).
  type Timings = { firstSms: number[]; startAnswered: number[]; verdict: number[]; identityVerdict: number[]; oldCodeVerdict: number[]; completion: number[] };
  const newTimings = (): Timings => ({ firstSms: [], startAnswered: [], verdict: [], identityVerdict: [], oldCodeVerdict: [], completion: [] });
  const lat = (t: Timings): Latencies => ({
    startToFirstSms: pcts(t.firstSms),
    startAnswered: pcts(t.startAnswered),
    submitToVerdict: pcts(t.verdict),
    identityToVerdict: pcts(t.identityVerdict),
    oldCodeToVerdict: pcts(t.oldCodeVerdict),
    lastCodeToCompleted: pcts(t.completion),
  });
  let lastAccountId = '';
  /** A citizen's pause before a step: none in the closed loop, about `pauseMs` in the paced run. */
  const think = (pauseMs: number) => (pauseMs > 0 ? new Promise((resolve) => setTimeout(resolve, pauseMs * (0.5 + Math.random()))) : undefined);
  async function oneChange(i: number, timings?: Timings, pauseMs = 0): Promise<void> {
    const account = await newAccount();
    lastAccountId = account.accountId;
    const newPhone = newPhoneFor(i);
    const t0 = performance.now();
    await client.start({ accountId: account.accountId, newPhone, auth: 'two_factor', requestId: `BENCH${i}X${seq}` });
    const answered = performance.now();
    const first = await sms.received(account.phone, 'identity_link');
    const link = first.text;
    await think(pauseMs);
    const t1 = performance.now();
    await client.confirmIdentity(account.accountId, { token: tokenOf(link), ...IDENTITY });
    const t2 = performance.now();
    const old = await sms.next(account.phone, 'code_old');
    await think(pauseMs);
    const t3 = performance.now();
    const v = await client.submitCode(account.accountId, 'old', codeOf(old));
    const t4 = performance.now();
    if (v.outcome !== 'accepted') throw new Error(`old code ${v.outcome}`);
    const neu = await sms.next(newPhone, 'code_new');
    await think(pauseMs);
    const t5 = performance.now();
    await client.submitCode(account.accountId, 'new', codeOf(neu));
    const result = await client.result(account.accountId);
    const t6 = performance.now();
    if (result.state !== 'completed') throw new Error(`change ended ${result.state}`);
    if (timings) {
      // When the SMS reached the phone, not when the bench looked: the start answers after the
      // whole first workflow task, the SMS leaves inside it.
      timings.firstSms.push(first.at - t0);
      timings.startAnswered.push(answered - t0);
      timings.verdict.push(t2 - t1, t4 - t3);
      timings.identityVerdict.push(t2 - t1);
      timings.oldCodeVerdict.push(t4 - t3);
      timings.completion.push(t6 - t5);
    }
  }
  let nextIndex = 0;
  const indices = (n: number) => Array.from({ length: n }, () => nextIndex++);

  log(`warming up (bundling in the worker, first changes); workers' cache bound ${CACHE}`);
  const warm = await pool(indices(5), 5, (i) => oneChange(i), 'warm-up');
  if (warm > 0) throw new Error('warm-up changes failed; see the worker log in ' + dir);

  const raw = new Client({ connection });
  /** One floor change; `proofMs` collects each proof's update round trip (its handler is empty). */
  const floorOne = async (proofMs?: number[]) => {
    const id = `floor-${randomUUID()}`;
    const op = new WithStartWorkflowOperation('floorChange', { workflowId: id, taskQueue: 'floor', workflowIdConflictPolicy: 'FAIL' });
    await raw.workflow.executeUpdateWithStart(floorStart, { startWorkflowOperation: op });
    const h = raw.workflow.getHandle(id);
    for (const proof of ['identity', 'old', 'new']) {
      const t0 = performance.now();
      await h.executeUpdate(floorProof, { args: [proof] });
      proofMs?.push(performance.now() - t0);
    }
    await h.result();
  };
  /** `count` floor workers, started and warmed up (their bundle built, their first changes run). */
  const floorWorkersReady = async (count: number) => {
    const started = Array.from({ length: count }, (_, k) =>
      spawnWorker(['tests/bench/floor-worker.ts'], { TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_TASK_QUEUE: 'floor' }, join(dir, `floor-worker-${k}.log`)),
    );
    await pool([...Array(5).keys()], 5, () => floorOne(), 'floor warm-up');
    return started;
  };

  /** One throughput phase with `count` worker processes: the real changes, then the floor on as many floor workers. */
  const workers = [worker];
  const throughput: Throughput[] = [];
  let latency20: Timings | undefined;
  for (const count of WORKERS) {
    while (workers.length < count) workers.push(spawnWorker(['workers/main.ts'], workerEnv, join(dir, `worker-${workers.length + 1}.log`)));
    if (count > 1) await pool(indices(5), 5, (i) => oneChange(i), `warm-up of ${count} workers`);
    const timings = newTimings();
    const before = workers.map((w) => sampleTree(w.pid!));
    const others = othersCpu();
    const load = loadavg()[0]!;
    const t = performance.now();
    log(`${count} worker(s): ${N} complete changes, concurrency ${C}`);
    const failures = await pool(indices(N), C, (i) => oneChange(i, timings), `changes, ${count} worker(s)`);
    const seconds = (performance.now() - t) / 1000;
    const cpu = workers.reduce((a, w, k) => a + sampleTree(w.pid!).cpuSeconds - before[k]!.cpuSeconds, 0);
    const othersReal = perChange(others, othersCpu());
    latency20 ??= timings;
    log(`floor, ${count} floor worker(s): the naive shape with empty bodies`);
    const floorWorkers = await floorWorkersReady(count);
    const fBefore = floorWorkers.map((w) => sampleTree(w.pid!));
    const fOthers = othersCpu();
    const tf = performance.now();
    const floorFailures = await pool([...Array(N).keys()], C, () => floorOne(), `floor, ${count} worker(s)`);
    const floorSeconds = (performance.now() - tf) / 1000;
    const floorCpu = floorWorkers.reduce((a, w, k) => a + sampleTree(w.pid!).cpuSeconds - fBefore[k]!.cpuSeconds, 0);
    const othersFloor = perChange(fOthers, othersCpu());
    await Promise.all(floorWorkers.map(stop));
    throughput.push({
      workers: count,
      completedPerSecond: N / seconds,
      floorPerSecond: N / floorSeconds,
      ratio: seconds > 0 ? floorSeconds / seconds : NaN,
      workerCpuSecondsPerChange: cpu / N,
      floorCpuSecondsPerChange: floorCpu / N,
      othersCpuSecondsPerChange: { real: othersReal, floor: othersFloor },
      failures,
      floorFailures,
      loadAverage: load,
    });
  }
  while (workers.length > 1) await stop(workers.pop()!);
  // What a citizen feels at 4 concurrent, not the tail of the throughput runs (their linked syncs
  // and floor workers): once the worker has gone idle.
  await settled(worker.pid!);

  log(`latency at concurrency 4: ${N4} complete changes`);
  const latency4 = newTimings();
  const load4 = loadavg()[0]!;
  const cpu4 = machineCpu();
  const failures4 = await pool(indices(N4), 4, (i) => oneChange(i, latency4), 'changes at 4');
  const busy4 = busyShare(cpu4, machineCpu());
  const timelineAt4 = await timeline(temporal, lastAccountId);
  log(`where a change's time goes (the last change at 4, ms since its first event): ${timelineAt4.join(', ')}`);

  // What the platform itself gives a verdict at 4: the floor's proof updates, whose handler only
  // records the proof (no activity), on a floor worker of its own once the worker is idle again.
  await settled(worker.pid!);
  log(`the floor at concurrency 4: ${N4} changes, each proof an update with an empty handler`);
  const floorWorkers4 = await floorWorkersReady(1);
  const floorProofMs: number[] = [];
  const floorFailures4 = await pool([...Array(N4).keys()], 4, () => floorOne(floorProofMs), 'floor at 4');
  await Promise.all(floorWorkers4.map(stop));

  // The same 4 at once as citizens would be: a pause before each step, so the machine is not kept
  // busy by the bench's own loop and what is left is the path's own time.
  let paced: Paced | undefined;
  if (PAUSE_MS > 0) {
    await settled(worker.pid!);
    log(`paced at concurrency 4: ${N4} changes, citizens pausing about ${PAUSE_MS} ms before each step`);
    const timings = newTimings();
    const cpu = machineCpu();
    const failures = await pool(indices(N4), 4, (i) => oneChange(i, timings, PAUSE_MS), 'paced at 4');
    paced = { pauseMs: PAUSE_MS, failures, machineBusy: busyShare(cpu, machineCpu()), latencies: lat(timings) };
  }

  const historyLengths: number[] = [];
  for await (const wf of temporal.workflow.list({ query: `WorkflowType = 'phoneChange' AND ExecutionStatus = 'Completed'` })) {
    historyLengths.push(wf.historyLength ?? 0);
    if (historyLengths.length >= 20) break;
  }
  const syncLengths: number[] = [];
  for await (const wf of temporal.workflow.list({ query: `WorkflowType = 'linkedSync' AND ExecutionStatus = 'Completed'` })) {
    syncLengths.push(wf.historyLength ?? 0);
    if (syncLengths.length >= 20) break;
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

  // Waiting changes are opened cumulatively (1000, then 9000 more for 10000), on one worker whose
  // cache is bounded; a submission goes to the longest-waiting ones (evicted: rebuilt by replay).
  const waiting: Waiting[] = [];
  const temporalRss = () => (temporalPid ? sampleTree(temporalPid).rssMb : 0);
  const natsRss = () => (natsPid ? sampleTree(natsPid).rssMb : 0);
  const serversRss = () => temporalRss() + natsRss();
  const dbBytes = () => ['temporal.db', 'temporal.db-wal'].reduce((a, f) => a + (existsSync(join(dir, f)) ? statSync(join(dir, f)).size : 0), 0);
  // The citizens' accounts exist before their changes: registered before the baseline, so the
  // servers' growth per waiting change counts the change, not the account.
  const maxWaiting = Math.max(0, ...WAITING);
  log(`registering ${maxWaiting} accounts for the waiting changes`);
  const waitingAccounts: Awaited<ReturnType<typeof newAccount>>[] = [];
  await pool([...Array(maxWaiting).keys()], 50, async () => void waitingAccounts.push(await newAccount()), 'accounts');
  await settled(worker.pid!);
  const sBase = serversRss();
  const nBase = natsRss();
  const natsLive = async () => (profilePort ? await natsLiveHeapBytes(profilePort) : undefined);
  const hBase = await natsLive();
  // NATS's RSS once the collection just asked for has been returned to the system (Go's
  // scavenger keeps about 1.1 times the next heap goal): what the waiting changes cost it in a
  // steady state, rather than the garbage of the burst that opened them, which Go collects only
  // when the heap doubles or after 2 minutes.
  const natsRssCollected = async (): Promise<number | undefined> => {
    if (!profilePort) return undefined;
    await new Promise((resolve) => setTimeout(resolve, SCAVENGE_MS));
    return natsRss();
  };
  const nBaseCollected = await natsRssCollected();
  const dBase = dbBytes();
  let opened = 0;
  let used = 0;
  let snapshots = 0;
  for (const w of [...WAITING].sort((a, b) => a - b)) {
    log(`opening changes that wait for the identity check: ${opened} → ${w}`);
    const tw = performance.now();
    const wf = await pool(
      waitingAccounts.slice(opened, w),
      50,
      async (a) => {
        await client.start({ accountId: a.accountId, newPhone: newPhoneFor(5_000_000 + Number(a.phone.slice(-7))), auth: 'two_factor' });
      },
      `waiting ${w}`,
    );
    opened = w;
    const startSeconds = (performance.now() - tw) / 1000;
    const load = loadavg()[0]!;
    // Memory while the changes wait, not in the burst of opening them: once the worker is idle
    // (under 5 % of a core for a second; at most 30 s), so garbage of the burst is not counted.
    await settled(worker.pid!);
    const burstRss = sampleTree(worker.pid!).rssMb;
    // Steady state: the heaps and the allocator give back the burst's memory over some seconds of
    // idleness (V8's memory reducer, jemalloc's decay); both figures are printed.
    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
    const rss = sampleTree(worker.pid!).rssMb;
    if (HEAP_DIR) await heapSnapshots(++snapshots);
    const serverKb = ((serversRss() - sBase) * 1024) / w;
    const natsKb = ((natsRss() - nBase) * 1024) / w;
    const dbKb = (dbBytes() - dBase) / 1024 / w;
    const live = await natsLive();
    const natsLiveKb = live === undefined || hBase === undefined ? null : (live - hBase) / 1024 / w;
    const collected = await natsRssCollected();
    const natsCollectedKb = collected === undefined || nBaseCollected === undefined ? null : ((collected - nBaseCollected) * 1024) / w;
    const rtts: number[] = [];
    for (const a of waitingAccounts.slice(used, used + 15)) {
      const link = await sms.next(a.phone, 'identity_link');
      const t = performance.now();
      await client.confirmIdentity(a.accountId, { token: tokenOf(link), ...IDENTITY });
      rtts.push(performance.now() - t);
    }
    used += 15;
    waiting.push({
      count: w,
      workerRssMb: rss,
      workerRssAfterBurstMb: burstRss,
      serverKbPerChange: temporalPid ? serverKb : null,
      natsKbPerChange: natsPid ? natsKb : null,
      natsLiveHeapKbPerChange: natsLiveKb,
      natsCollectedKbPerChange: natsCollectedKb,
      dbKbPerChange: temporalPid ? dbKb : null,
      submitP50: pct(rtts, 50),
      submitP99: pct(rtts, 99),
      startSeconds,
      failures: wf,
      loadAverage: load,
    });
  }

  const results: Results = {
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
    settings: {
      changes: N,
      concurrency: C,
      changesAt4: N4,
      waiting: WAITING,
      workers: WORKERS,
      cache: CACHE,
      serverCache: process.env.TEMPORAL_ADDRESS ? null : SERVER_CACHE,
      idleSeconds: IDLE_S,
      persistence: process.env.TEMPORAL_ADDRESS ? 'external' : 'SQLite file, WAL, synchronous=normal',
    },
    historyEventsPerChange: avg(historyLengths),
    historyEventsPerLinkedSync: avg(syncLengths),
    throughput,
    latencyMs: { at4: lat(latency4), at20: lat(latency20 ?? newTimings()), floorProofAt4: pcts(floorProofMs) },
    failuresAt4: failures4 + floorFailures4,
    loadAverageAt4: load4,
    machineBusyAt4: busy4,
    ...(paced ? { pacedAt4: paced } : {}),
    workerPeakRssMb: sampleTree(worker.pid!).peakRssMb,
    waiting,
    totalSeconds: (Date.now() - started) / 1000,
  };
  const md = table(results);
  console.log(`\n${md}`);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/latest.json', JSON.stringify(results, null, 2));
  writeFileSync('bench-results/latest.md', md);
  log(`wrote bench-results/latest.json and latest.md in ${results.totalSeconds.toFixed(0)} s`);

  await stop(worker);
  await connection.close();
  await nc.close();
  await smtp.close();
  await Promise.all(servers.map((x) => x.stop()));
  rmSync(dir, { recursive: true, force: true });
  if (throughput.some((t) => t.failures > 0 || t.floorFailures > 0) || failures4 + floorFailures4 + (paced?.failures ?? 0) > 0) process.exitCode = 1;
}

/** BENCH_RENDER=<results.json>: the tables again from a run's results (after the tables changed), printed and written as bench-results/latest.md. */
function render(file: string): void {
  const md = table(JSON.parse(readFileSync(file, 'utf8')) as Results);
  console.log(md);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/latest.md', md);
}

/** BENCH_HEAP_SNAPSHOTS=<dir>: heap snapshots of the worker's threads at each waiting row (tests/bench/heap-probe.mjs). */
async function heapSnapshots(n: number): Promise<void> {
  writeFileSync(join(HEAP_DIR!, `take-${n}`), '');
  const deadline = Date.now() + 600_000;
  while (!existsSync(join(HEAP_DIR!, `done-${n}`)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
  log(readFileSync(join(HEAP_DIR!, `done-${n}`), 'utf8'));
}

/** Waits until the process tree used under 5 % of a core for a second (at most 30 s). */
async function settled(pid: number): Promise<void> {
  for (let i = 0; i < 30; i++) {
    const before = sampleTree(pid).cpuSeconds;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (sampleTree(pid).cpuSeconds - before < 0.05) return;
  }
}

/** A change's history as `type +ms` since its first event (event types shortened). */
const EventType = protos.temporal.api.enums.v1.EventType;
async function timeline(temporal: Client, accountId: string): Promise<string[]> {
  const history = await temporal.workflow.getHandle(workflowIdFor(accountId)).fetchHistory();
  const events = history.events ?? [];
  const t0 = Number(events[0]?.eventTime?.seconds ?? 0) * 1000 + (events[0]?.eventTime?.nanos ?? 0) / 1e6;
  return events.map((e) => {
    const t = Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
    const type = String(EventType[e.eventType ?? 0] ?? e.eventType)
      .replace(/^EVENT_TYPE_/, '')
      .toLowerCase();
    return `${type} +${Math.round(t - t0)}`;
  });
}

function versions(): { temporal: string; nats: string } {
  const env = readFileSync(new URL('../../temporal-config/versions.env', import.meta.url), 'utf8');
  const v = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(env)?.[1] ?? '?';
  return { temporal: `CLI ${v('TEMPORAL_CLI_VERSION')}`, nats: v('NATS_SERVER_VERSION') };
}

type Pct = { p50: number; p95: number; p99: number };
type Latencies = {
  startToFirstSms: Pct;
  startAnswered: Pct;
  submitToVerdict: Pct;
  /** The two proofs of submitToVerdict apart; absent in runs before they were told apart. */
  identityToVerdict?: Pct;
  oldCodeToVerdict?: Pct;
  lastCodeToCompleted: Pct;
};
interface Throughput {
  workers: number;
  completedPerSecond: number;
  floorPerSecond: number;
  ratio: number;
  workerCpuSecondsPerChange: number;
  floorCpuSecondsPerChange: number;
  /** Temporal server, nats-server and the bench's own process (client, SMTP sink, simulated phones and linked services). */
  othersCpuSecondsPerChange: { real: OthersCpu; floor: OthersCpu };
  failures: number;
  floorFailures: number;
  loadAverage: number;
}
type OthersCpu = { temporal: number; nats: number; bench: number };
/** Changes at 4 whose citizens pause about `pauseMs` before each step; the pauses are not in the latencies. */
type Paced = { pauseMs: number; failures: number; machineBusy: number; latencies: Latencies };
interface Waiting {
  count: number;
  workerRssMb: number;
  workerRssAfterBurstMb: number;
  serverKbPerChange: number | null;
  /** The part of serverKbPerChange that is nats-server's. */
  natsKbPerChange: number | null;
  /** nats-server's live Go heap per waiting change, KB (go-heap.ts); absent in runs before it was read. */
  natsLiveHeapKbPerChange?: number | null;
  /** nats-server's RSS growth per waiting change once a collection was returned to the system; absent in runs before it was read. */
  natsCollectedKbPerChange?: number | null;
  dbKbPerChange: number | null;
  submitP50: number;
  submitP99: number;
  startSeconds: number;
  failures: number;
  loadAverage: number;
}
interface Results {
  at: string;
  machine: Record<string, unknown>;
  settings: { changes: number; concurrency: number; changesAt4: number; waiting: number[]; workers: number[]; cache: string; serverCache?: number | null; idleSeconds: number; persistence: string };
  historyEventsPerChange: number;
  historyEventsPerLinkedSync: number;
  throughput: Throughput[];
  /** floorProofAt4: the floor's proof update at 4 (an empty handler); absent in runs before it was measured. */
  latencyMs: { at4: Latencies; at20: Latencies; floorProofAt4?: Pct };
  failuresAt4: number;
  loadAverageAt4: number;
  /** The machine's CPU busy (all cores, 0..1) over the run at 4; absent in runs before it was read. */
  machineBusyAt4?: number;
  /** The paced run at 4; absent in runs before it existed or with BENCH_CITIZEN_PAUSE_MS=0. */
  pacedAt4?: Paced;
  workerPeakRssMb: number;
  waiting: Waiting[];
  totalSeconds: number;
}

function table(r: Results): string {
  const m = r.machine;
  const la = (x: number) => x.toFixed(1);
  const row = (name: string, x: Pct) => `| ${name} | ${ms(x.p50)} | ${ms(x.p95)} | ${ms(x.p99)} |`;
  const first = r.waiting[0];
  return [
    `Benchmark ${r.at.slice(0, 16)}Z: ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, Node ${m.node}, Temporal ${m.temporal}, nats-server ${m.natsServer}, SDK ${m.sdk}; ${r.settings.changes} changes at concurrency ${r.settings.concurrency}, ${r.settings.changesAt4} at 4; workers' cache bound ${r.settings.cache}${r.settings.serverCache ? `; the server's cache ${r.settings.serverCache}` : ''}; ${r.settings.persistence}.`,
    '',
    `History events per change (identity check, two codes, linked services): ${r.historyEventsPerChange.toFixed(0)}; its linked-service sync, a workflow of its own: ${r.historyEventsPerLinkedSync.toFixed(0)}.`,
    '',
    '| throughput at concurrency ' + r.settings.concurrency + ' | phone change /s | floor /s | ratio real / floor | worker CPU s/change (floor) | failures | load average |',
    '|---|---|---|---|---|---|---|',
    ...r.throughput.map(
      (t) =>
        `| ${t.workers} worker process${t.workers > 1 ? 'es' : ''} | ${t.completedPerSecond.toFixed(1)} | ${t.floorPerSecond.toFixed(1)} | ${t.ratio.toFixed(2)} | ${t.workerCpuSecondsPerChange.toFixed(3)} (${t.floorCpuSecondsPerChange.toFixed(3)}) | ${t.failures + t.floorFailures} | ${la(t.loadAverage)} |`,
    ),
    '',
    '| CPU s per change beside the workers, real (floor) | Temporal server | Temporal server: floor / real | nats-server | bench process (client, SMTP sink, phones, linked services) | all, workers included |',
    '|---|---|---|---|---|---|',
    ...r.throughput.map((t) => {
      const o = t.othersCpuSecondsPerChange;
      const f = (k: keyof OthersCpu) => `${o.real[k].toFixed(3)} (${o.floor[k].toFixed(3)})`;
      const all = (x: OthersCpu, worker: number) => worker + x.temporal + x.nats + x.bench;
      const total = `${all(o.real, t.workerCpuSecondsPerChange).toFixed(3)} (${all(o.floor, t.floorCpuSecondsPerChange).toFixed(3)})`;
      return `| ${t.workers} worker process${t.workers > 1 ? 'es' : ''} | ${f('temporal')} | ${(o.floor.temporal / o.real.temporal).toFixed(2)} | ${f('nats')} | ${f('bench')} | ${total} |`;
    }),
    '',
    `| latency (ms), 1 worker | p50 | p95 | p99 |`,
    '|---|---|---|---|',
    row('at 4 concurrent: start → first SMS (identity link) published', r.latencyMs.at4.startToFirstSms),
    row('at 4 concurrent: start → start answered', r.latencyMs.at4.startAnswered),
    row('at 4 concurrent: proof submitted → verdict', r.latencyMs.at4.submitToVerdict),
    ...(r.latencyMs.at4.identityToVerdict ? [row('at 4 concurrent: of them the identity check (2 local activities in its task)', r.latencyMs.at4.identityToVerdict)] : []),
    ...(r.latencyMs.at4.oldCodeToVerdict ? [row('at 4 concurrent: of them the old-number code (3 local activities)', r.latencyMs.at4.oldCodeToVerdict)] : []),
    ...(r.latencyMs.floorProofAt4 ? [row('at 4 concurrent, the floor: proof submitted → answered (an update whose handler only records it)', r.latencyMs.floorProofAt4)] : []),
    row('at 4 concurrent: last code submitted → completed', r.latencyMs.at4.lastCodeToCompleted),
    ...pacedRows(r.pacedAt4, row),
    row(`at ${r.settings.concurrency} concurrent: start → first SMS (identity link) published`, r.latencyMs.at20.startToFirstSms),
    row(`at ${r.settings.concurrency} concurrent: start → start answered`, r.latencyMs.at20.startAnswered),
    row(`at ${r.settings.concurrency} concurrent: proof submitted → verdict`, r.latencyMs.at20.submitToVerdict),
    row(`at ${r.settings.concurrency} concurrent: last code submitted → completed`, r.latencyMs.at20.lastCodeToCompleted),
    '',
    `Load average at the start of the run at 4: ${la(r.loadAverageAt4)}${busy(r.machineBusyAt4, ', the machine')} (failures ${r.failuresAt4}).${r.pacedAt4 ? `${busy(r.pacedAt4.machineBusy, ' Paced run at 4: the machine')} (failures ${r.pacedAt4.failures}).` : ''} Worker peak RSS: ${r.workerPeakRssMb.toFixed(0)} MB.`,
    '',
    `| waiting changes (1 worker) | opened in s (cumulative) | worker RSS MB once idle for ${r.settings.idleSeconds} s (just after opening) | vs the first row | server + NATS RSS KB/change (NATS; of it alive in NATS's heap; NATS's RSS after that collection, and the servers' with it) | SQLite KB/change | submission to a long-waiting change p50 / p99 ms | failures | load average |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...r.waiting.map(
      (w) =>
        `| ${w.count} | ${w.startSeconds.toFixed(0)} | ${w.workerRssMb.toFixed(0)} (${w.workerRssAfterBurstMb.toFixed(0)}) | ${first ? ((w.workerRssMb / first.workerRssMb - 1) * 100).toFixed(1) : '0'} % | ${serversCell(w)} | ${w.dbKbPerChange === null ? 'n/a' : w.dbKbPerChange.toFixed(1)} | ${ms(w.submitP50)} / ${ms(w.submitP99)} | ${w.failures} | ${la(w.loadAverage)} |`,
    ),
    '',
  ].join('\n');
}

main().catch(async (err: unknown) => {
  console.error(`[bench] failed: ${err instanceof Error ? err.stack : String(err)}`);
  await Promise.all([...spawned].map(stop));
  process.exit(1);
});

/** The servers' RSS growth per waiting change, NATS's part, and what of it is alive in NATS's heap when the run read it. */
function serversCell(w: Waiting): string {
  if (w.serverKbPerChange === null) return 'n/a';
  const kb = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(1));
  const live = w.natsLiveHeapKbPerChange === undefined ? '' : `; alive ${kb(w.natsLiveHeapKbPerChange)}`;
  const n = w.natsCollectedKbPerChange;
  const collected = n === undefined || n === null || w.natsKbPerChange === null ? '' : `; after a collection ${kb(n)}, servers ${kb(w.serverKbPerChange - w.natsKbPerChange + n)}`;
  return `${kb(w.serverKbPerChange)} (NATS ${kb(w.natsKbPerChange)}${live}${collected})`;
}

/** The paced run's rows: what a citizen who pauses between steps waits for, 4 changes at once. */
function pacedRows(p: Paced | undefined, row: (name: string, x: Pct) => string): string[] {
  if (!p) return [];
  const name = (what: string) => `at 4 concurrent, citizens pausing about ${p.pauseMs} ms before each step: ${what}`;
  return [
    row(name('start → first SMS (identity link) published'), p.latencies.startToFirstSms),
    row(name('proof submitted → verdict'), p.latencies.submitToVerdict),
    row(name('last code submitted → completed'), p.latencies.lastCodeToCompleted),
  ];
}

/** The machine's CPU busy over a run, as a clause after `lead`; empty for runs before it was read. */
function busy(share: number | undefined, lead: string): string {
  return share === undefined ? '' : `${lead}'s CPU ${Math.round(share * 100)} % busy over it`;
}
