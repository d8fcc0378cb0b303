import { defineConfig } from 'vitest/config';
import { common } from './vitest.config';

/** `npm run test:cluster`: the end-to-end tests and the cluster's fault test on the cluster stack. */
export default defineConfig({
  test: {
    ...common,
    include: ['tests/integration/happy-path.test.ts', 'tests/integration/paths.test.ts', 'tests/integration/metrics.test.ts', 'tests/cluster/**/*.test.ts'],
    globalSetup: ['tests/support/cluster-setup.ts'],
    testTimeout: 180_000,
    // The fault test kills nodes under everyone: files run one at a time.
    fileParallelism: false,
  },
});
