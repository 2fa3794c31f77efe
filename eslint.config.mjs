// ESLint: typescript-eslint's recommended rules, and the boundaries between the parts as import rules
// (see ARCHITECTURE.md). The TypeScript project references enforce which part may use which; these
// rules add what references cannot see: no `vscode` outside the extension, no test code in the
// product, and the layers inside the server (ctext < hooks, btf < analysis < lsp, cli).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NO_VSCODE = { name: 'vscode', message: 'Only client/src may use the VS Code API: keep this part usable from the CLIs and tests.' };
const NO_TESTS = { group: ['**/test/**'], message: 'Product code must not depend on the tests.' };
const NO_CLIENT = { group: ['**/client/src/**'], message: 'The extension depends on this part, not the other way round.' };

/**
 * One no-restricted-imports rule for `files`. Flat config replaces a rule rather than merging it, so each
 * entry repeats the rules of the part it belongs to (`vscode`: whether the VS Code API is banned there).
 */
function boundary(files, layers = [], { vscode = false } = {}) {
  const patterns = vscode ? [NO_TESTS, ...layers] : [NO_TESTS, NO_CLIENT, ...layers];
  return { files, rules: { 'no-restricted-imports': ['error', { paths: vscode ? [] : [NO_VSCODE], patterns }] } };
}

export default tseslint.config(
  { ignores: ['out/**', 'out-*/**', 'dist/**', 'node_modules/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  boundary(['common/**/*.ts', 'server/src/**/*.ts', 'engine/src/**/*.ts', 'vm/src/**/*.ts', 'policy/src/**/*.ts']),
  boundary(
    ['server/src/hooks/**/*.ts', 'server/src/btf/**/*.ts'],
    [
      {
        group: ['**/analysis/**', '**/lsp/**', '**/cli/**'],
        message:
          'Hook tables and BTF sit below the analysis, the server and the CLI: shared C-text and file helpers live in server/src/ctext.',
      },
    ],
  ),
  boundary(
    ['server/src/ctext/**/*.ts'],
    [{ group: ['../*', '!../ctext'], message: 'ctext is the neutral bottom of the server: C text and file helpers only.' }],
  ),
  boundary(
    ['server/src/analysis/**/*.ts'],
    [{ group: ['**/lsp/**', '**/cli/**'], message: 'The analysis sits below the language server and the CLI.' }],
  ),
  boundary(['client/src/**/*.ts', 'scripts/**/*.ts'], [], { vscode: true }),
  {
    files: ['esbuild.mjs', 'eslint.config.mjs', 'test/mutation/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
