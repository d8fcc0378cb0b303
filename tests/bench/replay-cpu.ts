/**
 * `npm run bench:replay`: the workflow thread's CPU per change, alone. Replays recorded v7 histories
 * (the identity path and its linked sync) many times through one worker and prints the CPU and wall
 * time per replayed pair. The replay worker runs its workflows in a thread as the product's does
 * (the SDK's replay default, `debugMode`, runs them on the main thread, with tsx's loader and
 * without the thread's settings). No server: a fast, repeatable way to weigh a lever of issue 12 before the
 * full bench. REPLAY_COUNT (300) sets the number of pairs; REPLAY_PRELOAD=0 bundles without the
 * preloaded modules (the figure before that lever).
 */
import { readFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { workflowBundleOptions } from '../../workers/worker';
import { workflowThreadWithoutLoader } from '../../workers/workflow-thread';
import { loadConfig } from '../../workers/config';
import { replayWorkflowId } from '../support/replay-ids';

Runtime.install({ logger: new DefaultLogger('WARN') });
// The product worker's runtime: its workflow thread without tsx's loader, stack recording as
// WORKER_WORKFLOW_STACK_TRACES says (off by default).
workflowThreadWithoutLoader({ stackTraces: loadConfig(process.env).worker.workflowStackTraces });
const COUNT = Number(process.env.REPLAY_COUNT ?? 300);
const fixture = (name: string) => historyFromJSON(JSON.parse(readFileSync(new URL(`../replay/fixtures/${name}.json`, import.meta.url), 'utf8')));
const pair = [fixture('v7-completed-identity'), fixture('v7-linked-synced')];

async function* histories(n: number) {
  for (let i = 0; i < n; i++) for (const [k, history] of pair.entries()) yield { workflowId: replayWorkflowId(history, `replay-${i}-${k}`), history };
}

/** The replay options with `debugMode` off: the SDK's types leave it out, its replay worker honours it (its default is spread first). */
const inThread = (o: ReplayWorkerOptions): ReplayWorkerOptions => ({ ...o, debugMode: false }) as ReplayWorkerOptions;

async function run(n: number, workflowBundle: { code: string }): Promise<{ cpuMs: number; wallMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for await (const r of Worker.runReplayHistories(inThread({ workflowBundle }), histories(n))) if (r.error) throw r.error;
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - t0 };
}

const preload = process.env.REPLAY_PRELOAD === '0' ? { preloadModules: [] } : {};
const bundle = await bundleWorkflowCode({ ...workflowBundleOptions, ...preload, logger: new DefaultLogger('WARN') });
await run(20, bundle); // warm-up: JIT, the thread, the bundle
const r = await run(COUNT, bundle);
console.log(`[bench:replay] ${COUNT} changes replayed (the identity path and its linked sync): CPU ${(r.cpuMs / COUNT).toFixed(1)} ms per change, wall ${(r.wallMs / COUNT).toFixed(1)} ms per change`);
