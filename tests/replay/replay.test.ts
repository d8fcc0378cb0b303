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
  it('has fixtures for every path: completed, refused, failed, expired', () => {
    const names = fixtures.join(' ');
    for (const path of ['completed', 'refused', 'failed', 'expired']) expect(names).toContain(path);
  });

  it.each(fixtures)('replays %s without non-determinism', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
    expect(history.events?.length).toBeGreaterThan(5);
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, file);
  });
});
