/**
 * Issue 12: the SDK's workflow thread starts without tsx's loader (workers/worker.ts), which would
 * turn source maps on there; every other Node option is kept.
 */
import { describe, expect, it } from 'vitest';
import { withoutLoader } from '../../workers/worker';

describe('workflow thread options (issue 12)', () => {
  it('drops tsx in each form it is loaded: `--import tsx`, the tsx CLI pair, inline `=`', () => {
    expect(withoutLoader(['--import', 'tsx', '--max-old-space-size=1024'])).toEqual(['--max-old-space-size=1024']);
    expect(withoutLoader(['--require', '/w/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///w/node_modules/tsx/dist/loader.mjs', '--cpu-prof'])).toEqual(['--cpu-prof']);
    expect(withoutLoader(['--import=tsx', '-r', 'C:\\w\\node_modules\\tsx\\dist\\preflight.cjs'])).toEqual([]);
  });

  it('keeps every other preload and option, including names that only contain "tsx"', () => {
    const args = ['--import', '/w/tests/bench/heap-probe.mjs', '--require', '/w/tsx-helpers/x.cjs', '--enable-source-maps', '--cpu-prof-dir=/tmp/tsx'];
    expect(withoutLoader(args)).toEqual(args);
  });
});
