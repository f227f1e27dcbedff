// ESLint flat config (run as `eslint -c test/eslint.config.mjs .`; patterns are relative to the cwd).
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'demo/dist/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Tests, servers, scripts and the demo print to the console on purpose.
    files: ['test/**', 'demo/**', 'bench/**', '*.mjs', '*.ts'],
    rules: { 'no-console': 'off' },
  },
)
