/** Builds the phone-change worker: the workflow and its activities on one task queue. */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../activities';
import type { Config, WorkerTuning } from './config';
import { workflowThreadWithoutLoader } from './workflow-thread';

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
 * One worker created at a time in a process: the workflow thread's settings are the process's
 * until the SDK has started that worker's threads, so two created at once would both take the
 * last one's (found in review). Without `config` (tests) the SDK's heap and the production
 * default of the stack recording (off).
 */
export function createPhoneChangeWorker(o: PhoneChangeWorkerOptions): Promise<Worker> {
  const created = creating.then(() => create(o));
  creating = created.catch(() => undefined);
  return created;
}
let creating: Promise<unknown> = Promise.resolve();

async function create(o: PhoneChangeWorkerOptions): Promise<Worker> {
  workflowThreadWithoutLoader({ heapMb: o.config?.workflowHeapMb, stackTraces: o.config?.workflowStackTraces ?? false });
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
