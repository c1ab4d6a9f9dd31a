// Lint of the TypeScript sources, tests, benchmarks and scripts (`npm run lint`, part of
// `npm test`'s pre-step). Formatting is prettier's (`.prettierrc.json`); this holds the rules that
// catch mistakes, and the import-cycle rule: no module may import itself back through others.
// (test/architecture.test.ts checks the layer order and keeps the exact list of the two value
// cycles inside ndslice that are allowed; they are exempted here by file.)
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'src/wire/generated/**', 'assembly/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.cjs'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js', '.mjs'],
    },
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        clearImmediate: 'readonly',
        queueMicrotask: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        WebAssembly: 'readonly',
        globalThis: 'readonly',
        structuredClone: 'readonly',
        AbortController: 'readonly',
        fetch: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
      },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // `any` is deliberate in generic bounds (`Actor<any, any>`, `ActorRef<any>`), where the
      // concrete message types are the caller's.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Closures that read a binding assigned after them (a watcher set up before its target).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `const self = this` is deliberate where an iterator or a walk up a chain starts at `this`.
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The two value cycles inside ndslice that test/architecture.test.ts allows (with reasons).
    files: [
      'src/ndslice/kernels.ts',
      'src/ndslice/reference.ts',
      'src/ndslice/extent.ts',
      'src/ndslice/point.ts',
      'src/ndslice/region.ts',
      'src/ndslice/view.ts',
    ],
    rules: { 'import-x/no-cycle': 'off' },
  },
);
