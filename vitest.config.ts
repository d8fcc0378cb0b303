import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The threads pool crashes with the Temporal SDK's native module; forks is safe.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    globalSetup: ['tests/support/global-setup.ts'],
    // SDK logs at WARN and above, installed once per test process.
    setupFiles: ['tests/support/quiet-logs.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
