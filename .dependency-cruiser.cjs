/**
 * The import rule (`npm run lint`): no cycles, and arrows only inward. Workers compose activities
 * and workflows; the client reaches workflow definitions, domain and adapters; workflows take
 * activities as types only; only the development stack's entries (and tests) import workers/.
 * Type-only imports are seen (tsPreCompilationDeps) so a cycle through types counts too.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'Import cycles make layers meaningless.', from: {}, to: { circular: true } },
    {
      name: 'workers-only-from-the-dev-stack',
      severity: 'error',
      comment: 'workers/ is the composition root: only the dev stack entries and tests start it.',
      from: { pathNot: '^(workers|tests)/|^temporal-config/(dev-stack|cluster-stack|dev-cli)\\.ts$' },
      to: { path: '^workers/' },
    },
    {
      name: 'client-to-definitions-domain-and-adapters',
      severity: 'error',
      comment: 'The client uses workflow definitions, the domain, the one failure converter, port types and adapters.',
      from: { path: '^client/' },
      to: { path: '^(activities|temporal-config|tests)/', pathNot: '^activities/(ports\\.ts$|adapters/)' },
    },
    {
      name: 'client-workflow-code-as-types',
      severity: 'error',
      comment: 'The client names workflow functions as types only (typed handles); their code runs in the worker.',
      from: { path: '^client/' },
      to: { path: '^workflows/', pathNot: '^workflows/(domain/|[^/]+\\.defs\\.ts$|failures\\.ts$)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-take-activities-as-types',
      severity: 'error',
      comment: 'Activity code must never enter the workflow bundle.',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-inward',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^(client|workers|temporal-config|tests)/' },
    },
    {
      name: 'activities-inward',
      severity: 'error',
      comment: 'Activities and adapters know ports, the domain and definitions; nothing of the process around them.',
      from: { path: '^activities/' },
      to: { path: '^(client|workers|temporal-config|tests)/' },
    },
    {
      name: 'workers-not-to-client',
      severity: 'error',
      comment: 'The worker shares with the client through lower layers (adapters, definitions), never client/ itself.',
      from: { path: '^workers/' },
      to: { path: '^(client|temporal-config|tests)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.data)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.d.ts'] },
  },
};
