// One lint for the product, its tests and the maintainer tools (`npm run lint`; `npm test` runs it).
// Recommended rules of ESLint and typescript-eslint without type information: type-aware linting would
// cost a full type-check again, which `tsc --noEmit` in `npm test` already does.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'coverage/', 'drizzle/', '.arcadia-test-*/', '**/*.tgz']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // An unused name is a leftover; `_` marks one kept on purpose (a callback's position, a destructured rest).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // `typeof import('x')` stays allowed: it types a module loaded lazily, which an import statement would load.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
      'no-var': 'error',
      'object-shorthand': 'error',
      // Terminal output goes through src/output (streams the tests can capture), never straight to the console.
      'no-console': 'error',
    },
  },
  {
    // The maintainer tools print their reports directly, and a test may log what it measured.
    files: ['tools/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tests look for escape sequences in what arcadia prints: control characters in their patterns are the point.
    files: ['test/**'],
    rules: { 'no-control-regex': 'off' },
  },
);
