// ESLint: typescript-eslint's recommended rules, and the boundaries between the parts as import rules
// (see ARCHITECTURE.md). The TypeScript project references enforce which part may use which; these
// rules add what references cannot see: no `vscode` outside the extension, no test code in the
// product, and the hook tables below the analysis.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'Only client/src may use the VS Code API: keep this part usable from the CLIs and tests.' };
const testCode = (from) => ({ group: [`${from}test/**`], message: 'Product code must not depend on the tests.' });

export default tseslint.config(
  { ignores: ['out/**', 'out-*/**', 'dist/**', 'node_modules/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['common/**/*.ts', 'server/src/**/*.ts', 'engine/src/**/*.ts', 'vm/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            testCode('**/'),
            { group: ['**/client/src/**'], message: 'The extension depends on this part, not the other way round.' },
          ],
        },
      ],
    },
  },
  {
    files: ['server/src/hooks/**/*.ts', 'server/src/btf/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            testCode('**/'),
            {
              group: ['**/analysis/**', '**/lsp/**', '**/cli/**'],
              message:
                'Hook tables and BTF sit below the analysis, the server and the CLI: shared C-text and file helpers live in server/src/ctext.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['server/src/ctext/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            testCode('**/'),
            { group: ['../*', '!../ctext'], message: 'ctext is the neutral bottom of the server: C text and file helpers only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['server/src/analysis/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            testCode('**/'),
            { group: ['**/lsp/**', '**/cli/**'], message: 'The analysis sits below the language server and the CLI.' },
          ],
        },
      ],
    },
  },
  {
    files: ['client/src/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [testCode('**/')] }],
    },
  },
  {
    files: ['esbuild.mjs', 'eslint.config.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
