import { configDefaults, defineConfig, type ViteUserConfig } from 'vitest/config';

/** What every run shares (this config and vitest.cluster.config.ts). */
export const common: NonNullable<ViteUserConfig['test']> = {
  // The threads pool crashes with the Temporal SDK's native module; forks is safe.
  pool: 'forks',
  poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  testTimeout: 60_000,
  hookTimeout: 180_000,
  reporters: ['default'],
  // SDK logs at WARN and above, installed once per test process.
  setupFiles: ['tests/support/quiet-logs.ts'],
};

export default defineConfig({
  test: {
    ...common,
    include: ['tests/**/*.test.ts'],
    // Those need the cluster stack: npm run test:cluster.
    exclude: [...configDefaults.exclude, 'tests/cluster/**'],
    globalSetup: ['tests/support/global-setup.ts'],
  },
});
