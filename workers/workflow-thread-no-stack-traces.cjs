/**
 * Preloaded into the SDK's workflow thread when WORKER_WORKFLOW_STACK_TRACES is off (workers/workflow-thread.ts).
 *
 * Issue 12: the SDK records a stack for every promise a workflow makes (a promise hook that builds
 * an Error and formats its frames through the bundle's source map), only so that the Web UI's
 * "Stack Trace" tab can show where a workflow waits; it cost 13-18 % of the worker's CPU per change.
 * The SDK has no option for it, so its global handlers are told to skip that hook before they are
 * installed; the thread's query then answers "Workflow stack traces are not enabled on this worker".
 * Error stacks (failures) are untouched. Written against SDK 1.24: a version without this
 * handler stops the worker at start-up here, loudly, rather than silently keeping the cost.
 */
'use strict';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a --require preload is CommonJS, and the thread has no loader for anything else
const { globalHandlers } = require('@temporalio/worker/lib/workflow/vm-shared.js');

if (!globalHandlers || typeof globalHandlers.setPromiseHook !== 'function') {
  throw new Error('workflow-thread-no-stack-traces.cjs: the Temporal SDK no longer has globalHandlers.setPromiseHook; set WORKER_WORKFLOW_STACK_TRACES=on and revisit workers/workflow-thread.ts');
}
if (globalHandlers.installed) {
  throw new Error('workflow-thread-no-stack-traces.cjs: the SDK installed its hooks before this preload ran; set WORKER_WORKFLOW_STACK_TRACES=on and revisit workers/workflow-thread.ts');
}
globalHandlers.setPromiseHook = () => undefined;
