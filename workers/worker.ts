/** Builds the phone-change worker: the workflow and its activities on one task queue. */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../activities';
import type { Config, WorkerTuning } from './config';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Bundled with the workflows (a prebuilt bundle must include them too): the product's workflow metrics. */
export const workflowInterceptorModules = [fileURLToPath(new URL('../workflows/metrics-interceptors.ts', import.meta.url))];

/**
 * Issue 12: with the reusable V8 context every new (or evicted and replayed) workflow evaluates the
 * modules of the bundle again, zod's half a megabyte included. Preloaded modules run once and are
 * shared (and frozen) across workflows: only libraries without per-workflow state belong here,
 * never a module that builds schema instances (zod binds methods on them lazily).
 */
export const workflowPreloadModules = [fileURLToPath(new URL('../workflows/preload.ts', import.meta.url))];
/** One set of bundle options for the worker, the tests' prebuilt bundle and replay. */
export const workflowBundleOptions = { workflowsPath, workflowInterceptorModules, preloadModules: workflowPreloadModules };

export async function connectWorker(config: Pick<Config, 'temporal'>): Promise<NativeConnection> {
  const { address, apiKey, tls } = config.temporal;
  return NativeConnection.connect({ address, apiKey, tls: tls ? {} : undefined });
}

export interface PhoneChangeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** SEC-4: encrypts every payload; absent only in tests of workflow logic. */
  codec?: PayloadCodec;
  /** A prebuilt bundle (tests build it once); otherwise the workflows are bundled now. */
  workflowBundle?: { codePath: string };
  tuning?: Partial<Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows'>>;
  /** Issue 12: from configuration (WORKER_*); the SDK's defaults when absent (tests). */
  config?: WorkerTuning;
}

/** The worker options WORKER_* set: a bounded cache keeps memory flat however many changes wait. */
export function tuningOptions(t: WorkerTuning): Partial<WorkerOptions> {
  const slots =
    'targetMemoryUsage' in t.slots
      ? { tuner: { tunerOptions: { targetMemoryUsage: t.slots.targetMemoryUsage, targetCpuUsage: t.slots.targetCpuUsage } } }
      : {
          maxConcurrentWorkflowTaskExecutions: t.slots.workflowTasks,
          maxConcurrentActivityTaskExecutions: t.slots.activities,
          maxConcurrentLocalActivityExecutions: t.slots.localActivities,
        };
  return { maxCachedWorkflows: t.maxCachedWorkflows, stickyQueueScheduleToStartTimeout: t.stickyQueueTimeoutMs, ...slots };
}

/**
 * Issue 12: the SDK's workflow thread inherits the process's Node options, and with them tsx's
 * loader (`--import tsx`), which turns source maps on in that thread: Node then inspects every
 * function the SDK compiles, and it compiles three for each promise a workflow makes (the stack
 * it records for the Web UI). The thread runs only JavaScript (the SDK's thread script and the
 * bundle), so it is started without the loader; every other option (profiling) stays. With
 * `heapMb` its heap is limited too (WORKER_WORKFLOW_HEAP_MB, config.ts says why).
 */
export function workflowThreadWithoutLoader(heapMb?: number): void {
  const threads = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads') & { [patched]?: { heapMb?: number } };
  if (threads[patched]) {
    threads[patched].heapMb = heapMb;
    return;
  }
  const settings: { heapMb?: number } = { heapMb };
  const Original = threads.Worker;
  class WorkflowThread extends Original {
    constructor(filename: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      super(filename, workflowThreadOptions(String(filename), options, process.execArgv, settings.heapMb));
    }
  }
  Object.assign(threads, { Worker: WorkflowThread, [patched]: settings });
}

/** The options the SDK's workflow thread starts with; any other thread's are left as given. */
export function workflowThreadOptions(
  filename: string,
  options: import('node:worker_threads').WorkerOptions | undefined,
  execArgv: readonly string[],
  heapMb: number | undefined,
): import('node:worker_threads').WorkerOptions | undefined {
  if (!filename.endsWith('workflow-worker-thread.js') || options?.execArgv !== undefined) return options;
  const limits = heapMb ? { resourceLimits: { ...options?.resourceLimits, maxOldGenerationSizeMb: heapMb } } : {};
  return { ...options, ...limits, execArgv: withoutLoader(execArgv) };
}
const patched = Symbol.for('phone-change.workflow-thread-without-loader');

/**
 * process.execArgv without tsx's `--import tsx` / `--require …/tsx/…` / `--import …/tsx/…` pairs,
 * and without the heap sizes a thread refuses (Node ends a thread given V8 options with "invalid
 * execArgv flags"; the main thread's `--max-old-space-size` is not the workflow thread's, which
 * WORKER_WORKFLOW_HEAP_MB sets).
 */
export function withoutLoader(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if ((flag === '--import' || flag === '--require' || flag === '-r') && /(^|[\\/])tsx([\\/]|$)/.test(inline ?? args[i + 1] ?? '')) {
      if (inline === undefined) i++;
      continue;
    }
    if (HEAP_FLAGS.has(flag.replace(/_/g, '-'))) {
      if (inline === undefined && /^\d+$/.test(args[i + 1] ?? '')) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}
const HEAP_FLAGS = new Set(['--max-old-space-size', '--max-semi-space-size', '--max-young-generation-size', '--stack-size']);

export async function createPhoneChangeWorker(o: PhoneChangeWorkerOptions): Promise<Worker> {
  workflowThreadWithoutLoader(o.config?.workflowHeapMb);
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    activities: createActivities(o.deps),
    dataConverter: o.codec ? { payloadCodecs: [o.codec] } : undefined,
    ...(o.workflowBundle ? { workflowBundle: o.workflowBundle } : { workflowsPath }),
    interceptors: o.workflowBundle ? {} : { workflowModules: workflowInterceptorModules },
    bundlerOptions: o.workflowBundle ? undefined : { preloadModules: workflowPreloadModules },
    // A workflow task on the sticky queue of a worker that died waits this long before another
    // worker takes it (SDK default 10 s): the citizen's wait after a crash, beside the heartbeat timeout.
    stickyQueueScheduleToStartTimeout: '3 seconds',
    ...(o.config ? tuningOptions(o.config) : {}),
    ...o.tuning,
  });
}
