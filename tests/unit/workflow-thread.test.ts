/**
 * Issue 12: the SDK's workflow thread starts without tsx's loader (workers/worker.ts), which would
 * turn source maps on there; every other Node option is kept.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../activities/config-error';
import { noStackTracesPreload, withoutLoader, withoutRefused, workflowThreadOptions } from '../../workers/workflow-thread';

describe('workflow thread options (issue 12)', () => {
  it('drops tsx in each form it is loaded: `--import tsx`, the tsx CLI pair, inline `=`', () => {
    expect(withoutLoader(['--import', 'tsx', '--trace-warnings'])).toEqual(['--trace-warnings']);
    expect(withoutLoader(['--require', '/w/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///w/node_modules/tsx/dist/loader.mjs', '--cpu-prof'])).toEqual(['--cpu-prof']);
    expect(withoutLoader(['--import=tsx', '-r', 'C:\\w\\node_modules\\tsx\\dist\\preflight.cjs'])).toEqual([]);
  });

  it("drops the main thread's V8 heap sizes, which a thread refuses (it would not start)", () => {
    expect(withoutRefused(['--max-old-space-size=256', '--max_semi_space_size', '16', '--stack-size=900', '--trace-warnings'])).toEqual(['--trace-warnings']);
  });

  it('drops every V8 option a thread refuses (GC diagnostics too), and keeps preloads without probing them', () => {
    expect(withoutRefused(['--expose-gc', '--import', '/w/tests/bench/heap-probe.mjs', '--trace-gc', '--enable-source-maps'])).toEqual([
      '--import',
      '/w/tests/bench/heap-probe.mjs',
      '--enable-source-maps',
    ]);
    expect(withoutRefused(['--import', '/does/not/exist.mjs'])).toEqual(['--import', '/does/not/exist.mjs']);
  });

  it('keeps every other preload and option, including names that only contain "tsx"', () => {
    const args = ['--import', '/w/tests/bench/heap-probe.mjs', '--require', '/w/tsx-helpers/x.cjs', '--enable-source-maps', '--cpu-prof-dir=/tmp/tsx'];
    expect(withoutLoader(args)).toEqual(args);
  });

  const sdkThread = '/w/node_modules/@temporalio/worker/lib/workflow/workflow-worker-thread.js';

  it("the SDK's workflow thread gets the heap limit and the options minus the loader; other threads are left alone", () => {
    const given = { workerData: { x: 1 }, resourceLimits: { stackSizeMb: 8 } };
    expect(workflowThreadOptions(sdkThread, given, ['--import', 'tsx', '--cpu-prof'], { heapMb: 316 })).toEqual({
      workerData: { x: 1 },
      resourceLimits: { stackSizeMb: 8, maxOldGenerationSizeMb: 316 },
      execArgv: ['--cpu-prof'],
    });
    expect(workflowThreadOptions(sdkThread, undefined, ['--import', 'tsx'], {})).toEqual({ execArgv: [] });
    expect(workflowThreadOptions('/w/other-thread.js', given, ['--import', 'tsx'], { heapMb: 316, stackTraces: false })).toBe(given);
    const explicit = { execArgv: ['--import', 'tsx'] };
    expect(workflowThreadOptions(sdkThread, explicit, [], { heapMb: 316, stackTraces: false })).toBe(explicit);
  });

  // The SDK's own thread file: the preload must patch the copy of the SDK that thread runs.
  const installedThread = createRequire(import.meta.url).resolve('@temporalio/worker/lib/workflow/workflow-worker-thread.js');

  it("with stack traces off (WORKER_WORKFLOW_STACK_TRACES) the thread preloads the file that turns off the SDK's promise hook, first; on or unset adds nothing", () => {
    expect(workflowThreadOptions(installedThread, undefined, ['--import', 'tsx', '--cpu-prof'], { stackTraces: false })).toEqual({ execArgv: ['--require', noStackTracesPreload, '--cpu-prof'] });
    expect(workflowThreadOptions(installedThread, undefined, ['--cpu-prof'], { stackTraces: true })).toEqual({ execArgv: ['--cpu-prof'] });
    expect(noStackTracesPreload).toMatch(/workers[\\/]workflow-thread-no-stack-traces\.cjs$/);
  });

  it('with stack traces off, a thread of another copy of the SDK (which the preload would not reach) stops the worker with a ConfigError naming the variable', () => {
    expect(() => workflowThreadOptions(sdkThread, undefined, [], { stackTraces: false })).toThrow(ConfigError);
    expect(() => workflowThreadOptions(sdkThread, undefined, [], { stackTraces: false })).toThrow(/WORKER_WORKFLOW_STACK_TRACES: off .*two copies of @temporalio\/worker/);
    expect(workflowThreadOptions(sdkThread, undefined, [], { stackTraces: true })).toEqual({ execArgv: [] });
  });
});
