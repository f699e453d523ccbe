import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', '.tmp/', 'console/dist*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    // The CLI and the benchmarks talk to a terminal; service code logs through pino.
    files: ['infra/cli/**', 'bench/**', 'bin/**', 'test/**', 'console/build.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // Domain code is pure: it must never reach for I/O.
    files: ['domain/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'node:*',
            'fs',
            'net',
            'http',
            '../infra/*',
            '../../infra/*',
            '../ports/*',
            '../../ports/*',
          ],
        },
      ],
    },
  },
);
