// ESLint flat config: typescript-eslint with type information (the tsconfig's project), so
// promise misuse, awaits of non-promises and unsafe any-flows are found, not only syntax.
// Formatting is prettier's job (.prettierrc.json); no stylistic rules here.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Dot-directories (.sandbox, .git, scratch dirs) and build output are not project source.
  { ignores: ['dist/', 'node_modules/', 'bench/out/', 'coverage/', '.*/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Real bugs: a promise nobody awaits or handles, a promise where a value is expected.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      // `reject(signal.reason)` / `reject(caught)` pass on a reason someone else chose (typed any / unknown).
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // Types whose toString() is meant for text: `?${new URLSearchParams(...)}`.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allow: [
            { from: 'lib', name: ['Error', 'URL'] },
            { from: 'package', name: 'URLSearchParams', package: 'url' },
          ],
          allowNumber: true,
          allowBoolean: true,
        },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // An async function without await is how a port returns a promise; not a bug.
      '@typescript-eslint/require-await': 'off',
      // Validators match control characters on purpose (formats, RE2 translation).
      'no-control-regex': 'off',
    },
  },
  {
    // Tests and benches read JSON answers of servers they started; `any` there is not a hazard of the product.
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript (this file, the CommonJS shim) is outside the tsconfig: no type information.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', exports: 'writable', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
