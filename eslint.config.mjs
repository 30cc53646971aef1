import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { defineConfig } from 'eslint/config';

export default defineConfig(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.mjs', '**/vitest.config.ts', 'packages/shared/src/gen/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-restricted-imports': ['error', { patterns: ['@lrsweep/*/src/*'] }],
    },
  },
  {
    files: ['packages/worker/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@lrsweep/coordinator', '@lrsweep/coordinator/*', '@lrsweep/*/src/*'] }] },
  },
  {
    files: ['packages/coordinator/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@lrsweep/worker', '@lrsweep/worker/*', '@lrsweep/*/src/*'] }] },
  },
);
