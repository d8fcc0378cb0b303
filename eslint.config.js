// @ts-check
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'tests/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed deterministically inside a sandbox: no I/O, no Node built-ins,
    // and activities only as types (their code must never enter the workflow bundle).
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Node built-ins are not allowed in workflow code.' })),
          patterns: [
            { group: ['**/activities/**', '**/activities'], allowTypeImports: true, message: 'Import activities as types only.' },
            { group: ['**/client/**', '**/workers/**'], message: 'Workflows import nothing from client/ or workers/.' },
          ],
        },
      ],
    },
  },
  {
    // Short files a reader takes in whole (STYLE.md); the import rule itself is dependency-cruiser's (.dependency-cruiser.cjs).
    files: ['workflows/**/*.ts', 'activities/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 250 }] },
  },
);
