/**
 * The floor benchmark's worker: the floor workflow and a no-op activity, default worker settings,
 * but the same workflow runtime as the product's (the preloaded module sets the stack depth, and
 * the workflow thread starts without tsx's loader), so the ratio real / floor compares the shapes,
 * not a runtime setting only one of them has.
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { workflowPreloadModules } from '../../workers/worker';
import { workflowThreadWithoutLoader } from '../../workers/workflow-thread';
import { loadConfig } from '../../workers/config';

// As the product's worker by default (WORKER_WORKFLOW_STACK_TRACES), so both shapes run on the same runtime.
workflowThreadWithoutLoader({ stackTraces: loadConfig(process.env).worker.workflowStackTraces });

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
const worker = await Worker.create({
  connection,
  taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? 'floor',
  workflowsPath: fileURLToPath(new URL('./floor.workflow.ts', import.meta.url)),
  bundlerOptions: { preloadModules: workflowPreloadModules },
  activities: { noop: async () => undefined },
});
console.log('floor worker ready');
await worker.run();
await connection.close();
