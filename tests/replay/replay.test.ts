/**
 * Replays recorded histories of every path through the current workflow code: a change to the
 * workflow that would break changes already running fails here. Fixtures are recorded with
 * `npm run fixtures:record` (the stub-activity scenarios) and committed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, inject } from 'vitest';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';

const dir = new URL('./fixtures/', import.meta.url);
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('replay of recorded histories', () => {
  it('has fixtures of the first release and of every path of the current one', () => {
    const names = fixtures.join(' ');
    for (const path of ['v1-completed', 'v1-refused', 'v1-failed', 'v1-expired']) expect(names).toContain(path);
    expect(fixtures).toContain('v3-completed.json');
    for (const path of ['completed-lost-override', 'completed-frequent-override']) expect(fixtures).toContain(`v4-${path}.json`);
    for (const path of ['completed', 'completed-identity', 'refused', 'failed-exhausted', 'expired', 'rejected', 'cancelled']) expect(fixtures).toContain(`v5-${path}.json`);
    const v2 = ['completed-identity', 'completed-lost-override', 'completed-frequent-override', 'expired-frequent', 'failed-identity', 'refused', 'refused-two-factor', 'rejected', 'cancelled', 'expired'];
    for (const path of v2) expect(fixtures).toContain(`v2-${path}.json`);
  });

  it.each(fixtures)('replays %s without non-determinism', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
    expect(history.events?.length).toBeGreaterThan(5);
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, file);
  });
});
