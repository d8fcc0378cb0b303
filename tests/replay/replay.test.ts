/**
 * Replays recorded histories of every path of every workflow through the current code: a change
 * that would break running workflows fails here. The fixture list is derived from the code: every
 * scenario of the stub-activity suite names its fixture (`withWorker('<release>-<path>', …)`), and
 * each must be here. `npm run fixtures:record` writes the missing ones (never overwrites).
 * Versioning rule: README "Changing a workflow".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, inject } from 'vitest';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { replayWorkflowId } from '../support/replay-ids';

const dir = new URL('./fixtures/', import.meta.url);
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const scenarios = [...readFileSync(new URL('../workflow/phone-change.stub.test.ts', import.meta.url), 'utf8').matchAll(/withWorker\('([\w-]+)'/g)].map((m) => `${m[1]}.json`);

describe('replay of recorded histories', () => {
  it('has a fixture for every scenario of the stub suite, of every workflow', () => {
    expect(scenarios.length).toBeGreaterThan(15);
    expect(fixtures).toEqual(expect.arrayContaining(scenarios));
    const types = fixtures.map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')).events[0].workflowExecutionStartedEventAttributes.workflowType.name as string);
    expect(new Set(types)).toEqual(new Set(['phoneChange', 'linkedSync', 'phoneRevert', 'testDelivery', 'recyclingSweep', 'passwordReset', 'supportRecovery']));
  });

  it.each(fixtures)('replays %s without non-determinism', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
    expect(history.events?.length).toBeGreaterThan(5);
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, replayWorkflowId(history, file));
  });
});
