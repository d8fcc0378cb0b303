import { describe, expect, it } from 'vitest';
import { requirementIds, rewriteReadme, type VitestReport } from '../figures/figures';

const report: VitestReport = {
  success: true,
  numTotalTests: 3,
  testResults: [
    { name: 'a.test.ts', assertionResults: [{ fullName: 'preconditions PRE-1: refuses' }, { fullName: 'SEC-2 identity' }] },
    { name: 'b.test.ts', assertionResults: [{ fullName: 'no id here' }] },
  ],
};
const readme = ['intro', '| <!-- figures:tests -->old<!-- /figures:tests --> | x |', '## Requirements covered', '<!-- figures:requirements -->', 'old', '<!-- /figures:requirements -->', 'end'].join(
  '\n',
);

describe('README figures (npm run figures)', () => {
  it('reads requirement IDs once each, in order', () => {
    expect(requirementIds('PRE-1 x SEC-2, PRE-1; PRE-10')).toEqual(['PRE-1', 'SEC-2', 'PRE-10']);
  });

  it('rewrites the test counts and lists the requirements no test name mentions, between the markers only', () => {
    const out = rewriteReadme(readme, report, 'PRE-1 PRE-10 SEC-2 REC-1');
    expect(out).toContain('| <!-- figures:tests -->`npm test` (lint, tsc, 2 files, 3 tests)<!-- /figures:tests --> | x |');
    expect(out).toContain('<!-- figures:requirements -->\nNot built yet (no test name mentions them): PRE-10, REC-1.\n<!-- /figures:requirements -->');
    expect(out.startsWith('intro\n')).toBe(true);
    expect(out.endsWith('\nend')).toBe(true);
  });

  it('refuses a README without the markers', () => {
    expect(() => rewriteReadme('no markers', report, 'PRE-1')).toThrow(/figures:tests/);
  });
});
