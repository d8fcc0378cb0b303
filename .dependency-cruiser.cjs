/**
 * The import rule (`npm run lint`): no cycles, and arrows only inward. Workers compose activities
 * and workflows; the client reaches workflow definitions, domain and adapters; workflows take
 * activities as types only; only the development stack's entries (and tests) import workers/.
 * Type-only imports are seen (tsPreCompilationDeps) so a cycle through types counts too.
 */
const DEFINITIONS = '^workflows/(domain/|[^/]+\\.defs\\.ts$|failures\\.ts$)';
const OUTSIDE = '^(client|workers|temporal-config|tests)/';

/** A forbidden arrow: from `from` to `to` (dependency-cruiser's path conditions). */
const never = (name, comment, from, to) => ({ name, comment, severity: 'error', from, to });

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    never('no-cycles', 'Import cycles make layers meaningless.', {}, { circular: true }),
    never(
      'workers-only-from-the-dev-stack',
      'workers/ is the composition root: only the dev stack entries and tests start it.',
      { pathNot: '^(workers|tests)/|^temporal-config/(dev-stack|cluster-stack|dev-cli)\\.ts$' },
      { path: '^workers/' },
    ),
    never(
      'client-to-port-types-and-adapters',
      'Of activities, the client uses port types and adapters only.',
      { path: '^client/' },
      { path: '^(activities|temporal-config|tests)/', pathNot: '^activities/(ports\\.ts$|adapters/)' },
    ),
    never(
      'client-workflow-code-as-types',
      'The client names workflow functions as types only (typed handles); their code runs in the worker.',
      { path: '^client/' },
      { path: '^workflows/', pathNot: DEFINITIONS, dependencyTypesNot: ['type-only'] },
    ),
    never('workflows-take-activities-as-types', 'Activity code must never enter the workflow bundle.', { path: '^workflows/' }, { path: '^activities/', dependencyTypesNot: ['type-only'] }),
    never('workflows-inward', 'Workflows know their definitions and the domain only.', { path: '^workflows/' }, { path: OUTSIDE }),
    never('activities-inward', 'Activities and adapters know ports, the domain and definitions; nothing of the process around them.', { path: '^activities/' }, { path: OUTSIDE }),
    never(
      'workers-not-to-client',
      'The worker shares with the client through lower layers (adapters, definitions), never client/ itself.',
      { path: '^workers/' },
      { path: '^(client|temporal-config|tests)/' },
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.data)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.d.ts'] },
  },
};
