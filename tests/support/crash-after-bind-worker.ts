/**
 * The worker of workers/main.ts with one fault: the moment the registry has written an account
 * whose number is CRASH_AFTER_BIND_TO (the binding, a local activity in v7), the process SIGKILLs
 * itself, inside the workflow task that ran the binding, before that task completed.
 */
import { loadConfig, payloadCodec } from '../../workers/config';
import { openServices } from '../../workers/services';
import { connectWorker, createPhoneChangeWorker } from '../../workers/worker';

const config = loadConfig();
const { deps } = await openServices(config);
const target = process.env.CRASH_AFTER_BIND_TO;
const put = deps.registry.putAccount.bind(deps.registry);
deps.registry.putAccount = async (account, revision) => {
  const written = await put(account, revision);
  if (account.phone === target) {
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => undefined);
  }
  return written;
};
const connection = await connectWorker(config);
const worker = await createPhoneChangeWorker({ connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, deps, codec: payloadCodec(config) });
await worker.run();
