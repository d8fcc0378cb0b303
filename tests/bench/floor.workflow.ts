/**
 * The floor for the benchmark: what Temporal itself costs for a change's shape, with nothing
 * inside. The same number of updates (start, identity, two codes), activities (10) and waits with
 * timers (3) as a phone change, every body empty.
 */
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

export const floorStart = defineUpdate<string, []>('start');
export const floorProof = defineUpdate<string, [string]>('proof');

const { noop } = proxyActivities<{ noop(n: number): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

export async function floorChange(): Promise<string> {
  const proofs = new Set<string>();
  let validated = false;
  setHandler(floorStart, async () => {
    await condition(() => validated);
    return 'ok';
  });
  setHandler(floorProof, async (p) => {
    proofs.add(p);
    return 'accepted';
  });
  await noop(1); // load account
  validated = true;
  await Promise.all([noop(2), noop(3)]); // request notice, event
  for (const [i, proof] of ['identity', 'old', 'new'].entries()) {
    await noop(4 + i); // identity link or code
    await condition(() => proofs.has(proof), '1 hour');
  }
  await noop(7); // bind
  await Promise.all([noop(8), noop(9), noop(10)]); // completion notices, event
  return 'completed';
}
