/** The floor benchmark's worker: the floor workflow and a no-op activity, default worker settings. */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
const worker = await Worker.create({
  connection,
  taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? 'floor',
  workflowsPath: fileURLToPath(new URL('./floor.workflow.ts', import.meta.url)),
  activities: { noop: async () => undefined },
});
console.log('floor worker ready');
await worker.run();
await connection.close();
