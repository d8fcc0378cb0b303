/**
 * The SDK's workflow thread, started as the product needs it (issue 12): without tsx's loader and
 * the V8 options a thread refuses, with a heap limit, and without the SDK's per-promise stack
 * recording unless WORKER_WORKFLOW_STACK_TRACES=on. The SDK has no options for these, so Node's
 * Worker constructor is wrapped once per process and reads the settings of the worker being created.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../activities/config-error';

/**
 * Issue 12: the SDK's workflow thread inherits the process's Node options, and with them tsx's
 * loader (`--import tsx`), which turns source maps on in that thread: Node then inspects every
 * function the SDK compiles, and it compiles three for each promise a workflow makes (the stack
 * it records for the Web UI). The thread runs only JavaScript (the SDK's thread script and the
 * bundle), so it is started without the loader and without the options a thread refuses; every
 * other one (profiling) stays. `heapMb` limits its heap (WORKER_WORKFLOW_HEAP_MB, config.ts says
 * why); `stackTraces: false` preloads workflow-thread-no-stack-traces.cjs there, so the SDK records
 * no stack per promise (WORKER_WORKFLOW_STACK_TRACES). Absent settings keep the SDK's behaviour.
 */
export function workflowThreadWithoutLoader(thread: WorkflowThreadSettings = {}): void {
  const threads = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads') & { [patched]?: WorkflowThreadSettings };
  if (threads[patched]) {
    Object.assign(threads[patched], { heapMb: thread.heapMb, stackTraces: thread.stackTraces });
    return;
  }
  const settings: WorkflowThreadSettings = { ...thread };
  const Original = threads.Worker;
  class WorkflowThread extends Original {
    constructor(filename: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      // workflowThreadOptions may start a probe thread: it is a WorkflowThread too, with its execArgv given, so left alone.
      super(filename, workflowThreadOptions(String(filename), options, process.execArgv, settings));
    }
  }
  Object.assign(threads, { Worker: WorkflowThread, [patched]: settings });
}

export interface WorkflowThreadSettings {
  heapMb?: number;
  stackTraces?: boolean;
}

/** Preloaded into the workflow thread when stack traces are off (plain JavaScript: the thread has no loader). */
export const noStackTracesPreload = fileURLToPath(new URL('./workflow-thread-no-stack-traces.cjs', import.meta.url));

/** The options the SDK's workflow thread starts with; any other thread's are left as given. */
export function workflowThreadOptions(
  filename: string,
  options: import('node:worker_threads').WorkerOptions | undefined,
  execArgv: readonly string[],
  thread: WorkflowThreadSettings,
): import('node:worker_threads').WorkerOptions | undefined {
  if (!filename.endsWith('workflow-worker-thread.js') || options?.execArgv !== undefined) return options;
  const limits = thread.heapMb ? { resourceLimits: { ...options?.resourceLimits, maxOldGenerationSizeMb: thread.heapMb } } : {};
  const preload = thread.stackTraces === false ? noStackTraces(filename) : [];
  return { ...options, ...limits, execArgv: [...preload, ...withoutRefused(withoutLoader(execArgv))] };
}
const patched = Symbol.for('phone-change.workflow-thread-without-loader');

/** process.execArgv without tsx's `--import tsx` / `--require …/tsx/…` / `--import …/tsx/…` pairs. */
export function withoutLoader(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (PRELOADS.has(flag) && /(^|[\\/])tsx([\\/]|$)/.test(inline ?? args[i + 1] ?? '')) {
      if (inline === undefined) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}
const PRELOADS = new Set(['--import', '--require', '-r']);

/**
 * The arguments without those a thread refuses. Node refuses every V8 option in a thread's
 * execArgv (`--max-old-space-size`, `--expose-gc`, `--trace-gc`…: they are the process's anyway,
 * and the thread's heap is WORKER_WORKFLOW_HEAP_MB), and a refused one would stop the worker from
 * starting. Node names them in its error, so one probe thread asks it; none is started when only
 * preloads are left (the usual start).
 */
export function withoutRefused(args: readonly string[]): string[] {
  let out = [...args];
  // Node stops reading at an argument it takes for a value, so it may name the refused a few at a time.
  for (let round = 0; round < args.length; round++) {
    const flags = out.filter((a, i) => !PRELOADS.has(a.split('=')[0]!) && !PRELOADS.has(out[i - 1] ?? ''));
    const refused = flags.length > 0 ? refusedByThreads(flags) : new Set<string>();
    if (refused.size === 0) return out;
    out = out.filter((a, i) => !refused.has(a) && !(refused.has(out[i - 1]!) && !out[i - 1]!.includes('=') && !a.startsWith('-')));
  }
  return out;
}

function refusedByThreads(flags: string[]): Set<string> {
  const { Worker: Thread } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  try {
    void new Thread('', { eval: true, execArgv: flags }).terminate();
    return new Set();
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Set(/flags: (.*)$/.exec((err as Error).message)?.[1]?.split(', ') ?? []);
  }
}

/**
 * The thread's arguments that load the preload. It turns the hook off in the SDK copy it resolves
 * from workers/; with two copies installed the thread could run another, and the setting would
 * silently do nothing (review): refused instead.
 */
function noStackTraces(threadFile: string): string[] {
  const patched = real(createRequire(noStackTracesPreload).resolve('@temporalio/worker/lib/workflow/vm-shared.js'));
  const used = real(join(dirname(threadFile), 'vm-shared.js'));
  if (patched !== used) {
    throw new ConfigError(
      `invalid configuration:\n  WORKER_WORKFLOW_STACK_TRACES: off turns the stack recording off in ${patched}, but this worker's SDK is ${used} (two copies of @temporalio/worker): install one, or set WORKER_WORKFLOW_STACK_TRACES=on`,
    );
  }
  return ['--require', noStackTracesPreload];
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
