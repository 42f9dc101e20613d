// @ts-check
/**
 * Lint = the mechanical half of STYLE.md rule 10: typed rules that catch real bugs (floating promises,
 * non-exhaustive switches), the type-import discipline that `verbatimModuleSyntax` relies on, no TS `enum`,
 * a purity rule for `actors/` (rule 1: a turn is a pure function) and the `core/testing` fence (STYLE 2.1).
 * Layer boundaries live in `.dependency-cruiser.cjs`; formatting is Prettier's job, so no stylistic rules here.
 *
 * Note on flat config: a later block that sets `no-restricted-imports` / `no-restricted-syntax` REPLACES the
 * options of an earlier block, it does not merge them. That is why the option lists are built once below and
 * re-combined per block.
 */
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TS_FILES = ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'];

/** Test machinery may use test-only modules; production code may not. */
const TEST_FILES = ['**/*.test.ts', '**/*.test.tsx', '**/*.contract.ts', '**/__fixtures__/**', 'core/testing/**'];

/** Places allowed to import `core/testing/` (STYLE 2.1: "production code never imports"). */
const TESTING_IMPORTERS = [...TEST_FILES, 'bench/**', 'vitest.config.ts'];

const NO_ENUM = {
  selector: 'TSEnumDeclaration',
  message: 'Use a union of string literals (or an `as const` object) instead of a TS enum: enums emit runtime code.',
};

const TESTING_IMPORT_PATTERN = {
  // Relative specifiers that walk into a `testing/` folder: `../testing/x.ts`, `../../core/testing/x.ts`.
  regex: '^\\.{1,2}/(?:.*/)?testing(?:/|$)',
  message: 'core/testing is test machinery; production code never imports it (STYLE 2.1). Inject a port instead.',
};

/** Purity (STYLE rule 1): actors hold no I/O, no storage, no transport, no sockets. */
const ACTOR_PURITY_PATTERNS = [
  {
    group: ['node:*', ...builtinModules.filter((m) => !m.startsWith('_')).flatMap((m) => [m, `${m}/*`])],
    message: 'actors/ is pure: no Node built-ins. Take what you need from the turn context (ctx.nowMs, ctx.newId()).',
  },
  {
    group: ['lmdb', 'lmdb/*', '@nats-io/*', 'nats', 'nats/*', 'uWebSockets.js', 'uWebSockets.js/*', 'uws', 'uws/*'],
    message: 'actors/ is pure: storage and transport belong to core/ and adapters/; return effects instead.',
  },
];

const ACTOR_PURE_PROPERTIES = [
  { object: 'Date', property: 'now', message: 'actors/ is pure: use ctx.nowMs.' },
  { object: 'Math', property: 'random', message: 'actors/ is pure: use ctx.newId() or a seeded value in state.' },
  { object: 'performance', property: 'now', message: 'actors/ is pure: use ctx.nowMs.' },
  { object: 'crypto', property: 'randomUUID', message: 'actors/ is pure: use ctx.newId().' },
  { object: 'crypto', property: 'getRandomValues', message: 'actors/ is pure: use ctx.newId().' },
];

const ACTOR_PURE_GLOBALS = [
  ...['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask'].map((name) => ({
    name,
    message: 'actors/ is pure: schedule a durable timer effect instead of a runtime timer.',
  })),
  { name: 'fetch', message: 'actors/ is pure: remote calls are adapter effects.' },
  { name: 'process', message: 'actors/ is pure: configuration arrives as data, not from the environment.' },
];

export default defineConfig(
  globalIgnores(['**/node_modules/', 'data/', 'dist/', '**/dist/', 'coverage/', '.tmp/', 'bench/results/']),

  // ---- plain JavaScript (config files, the CLI shim) ----
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },

  // ---- TypeScript, type-checked ----
  {
    files: TS_FILES,
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Catches a switch with no `default` that silently skips a union member. An explicit `default` counts as a
      // decision: house-style protocol switches end in `default: return unreachable(msg)` whose `never` parameter
      // already proves exhaustiveness at compile time, and switches over third-party unions (e.g. NATS status
      // events) legitimately handle a few members and ignore the rest.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { allowDefaultCaseForExhaustiveSwitch: true, considerDefaultExhaustiveForUnions: true },
      ],
      // Ports are Promise-returning interfaces; in-memory implementations and doubles are often synchronous inside,
      // and `async` is what turns their throws into rejections. Demanding an `await` there is noise.
      '@typescript-eslint/require-await': 'off',
      // Same policy as only-throw-error's defaults: re-rejecting a caught `unknown` is fine; literals are not.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports' }],
      // With verbatimModuleSyntax, `import { type A } from 'x'` keeps a side-effect `import 'x'`.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-restricted-syntax': ['error', NO_ENUM],
      'no-restricted-imports': ['error', { patterns: [TESTING_IMPORT_PATTERN] }],
    },
  },

  // ---- actors/: pure domain (STYLE rule 1); tests may read fixtures from disk ----
  {
    files: ['actors/**/*.ts'],
    ignores: TEST_FILES,
    rules: {
      'no-restricted-imports': ['error', { patterns: [TESTING_IMPORT_PATTERN, ...ACTOR_PURITY_PATTERNS] }],
      'no-restricted-properties': ['error', ...ACTOR_PURE_PROPERTIES],
      'no-restricted-globals': ['error', ...ACTOR_PURE_GLOBALS],
      'no-restricted-syntax': [
        'error',
        NO_ENUM,
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'actors/ is pure: `new Date()` reads the wall clock; use new Date(ctx.nowMs).',
        },
      ],
    },
  },

  // ---- test machinery may import core/testing ----
  {
    files: TESTING_IMPORTERS,
    rules: {
      'no-restricted-imports': 'off',
    },
  },
  {
    // vitest's `expect(mock.method)` trips unbound-method, and its asymmetric matchers (`expect.any`,
    // `expect.stringContaining`, ...) are typed `any`, which trips no-unsafe-assignment inside `toEqual({...})`.
    files: TEST_FILES,
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
