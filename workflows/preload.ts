/**
 * Loaded once per worker thread and shared, frozen, by every workflow (issue 12; see
 * workflowPreloadModules in workers/worker.ts): zod's half a megabyte is then evaluated once, not
 * once per workflow (the replay bench: 23 % less CPU per change). Imported the way the workflows
 * import it, so the shared modules are the very ones they use. zod fills some module state lazily
 * (the default locale, whether `new Function` is allowed); frozen, it could not, so it is filled
 * here, before the freeze.
 */
import { z } from 'zod';
import en from 'zod/v4/locales/en.js';

z.config(en());
z.strictObject({ warm: z.string() }).safeParse({ warm: '' });

// With WORKER_WORKFLOW_STACK_TRACES=on the SDK records a stack for every promise a workflow makes
// (for the Web UI's stack trace; its issue #1587): the deeper the stack, the dearer. Six frames
// still reach the workflow's own line that waits (tests/integration/stack-traces.test.ts asserts
// it) at 10 % less CPU per change. Off (the default) it only shortens error stacks.
Error.stackTraceLimit = 6;
