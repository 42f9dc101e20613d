/**
 * Boundary lint: the dependency rules of ARCHITECTURE.md / STYLE.md 2.1, checked on resolved paths (so `../..`
 * tricks and type-only imports count too). Run with `npm run boundaries`; any `error` rule fails the build.
 *
 *   frontends ──► adapters ──► core ◄── actors        config is a leaf (zod schema + defaults);
 *        │                      ▲                      bench may use anything;
 *        └──────────────────────┴──── config           core/testing is for tests only.
 */

/** Test machinery: may import core/testing and dev dependencies. */
const TEST_FILE = '(^|/)[^/]+\\.(test|contract)\\.tsx?$|(^|/)__fixtures__/';
const TESTING = '^core/testing/';
const BENCH = '^bench/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-innermost',
      comment: 'core/ is the runtime: it knows no domain, adapter, screen, config loader or benchmark.',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^(actors|adapters|frontends|config|bench)/' },
    },
    {
      name: 'actors-depend-on-core-only',
      comment: 'actors/ is the domain; it depends on core/ only (configuration arrives as data).',
      severity: 'error',
      from: { path: '^actors/' },
      to: { path: '^(adapters|frontends|config|bench)/' },
    },
    {
      name: 'adapters-implement-core-ports',
      comment: 'adapters/ implement core ports; they never reach into the domain, the screens or the benchmarks.',
      severity: 'error',
      from: { path: '^adapters/' },
      to: { path: '^(frontends|actors|bench)/' },
    },
    {
      name: 'config-is-a-leaf',
      comment: 'config/ is one zod schema plus defaults; it imports no layer.',
      severity: 'error',
      from: { path: '^config/' },
      to: { path: '^(core|actors|adapters|frontends|bench)/' },
    },
    {
      name: 'inbox-is-an-api-client',
      comment:
        'The inbox web app talks to the server over HTTP and WebSocket only: it imports nothing of core, actors, ' +
        'adapters, config or the other frontends, not even types (its wire types are its own, from the documented API).',
      severity: 'error',
      // The end-to-end tests start the real node (frontends/cli) for the app to talk to.
      from: { path: '^frontends/inbox/', pathNot: '^frontends/inbox/e2e/' },
      to: { path: '^(core|actors|adapters|config|bench)/|^frontends/(?!inbox/)' },
    },
    {
      name: 'nothing-imports-the-inbox',
      comment:
        'The HTTP frontend serves the built app (frontends/inbox/dist) as files; no server code imports its source.',
      severity: 'error',
      from: { pathNot: '^frontends/inbox/' },
      to: { path: '^frontends/inbox/(?!e2e/)' },
    },
    {
      name: 'frontends-do-not-ship-bench',
      comment: 'The composition root may depend on everything inward, but not on benchmarks.',
      severity: 'error',
      from: { path: '^frontends/' },
      to: { path: BENCH },
    },
    {
      name: 'no-testing-in-production',
      comment: 'core/testing is shared test machinery; production code never imports it (STYLE 2.1).',
      severity: 'error',
      from: { pathNot: [TEST_FILE, TESTING, BENCH] },
      to: { path: TESTING },
    },
    {
      name: 'no-tests-in-production',
      comment: 'Production code never imports a test file or a contract suite.',
      severity: 'error',
      from: { pathNot: [TEST_FILE, TESTING, BENCH] },
      to: { path: TEST_FILE },
    },
    {
      name: 'no-dev-deps-in-production',
      comment: 'Production installs omit devDependencies (vitest, fast-check, ...); only tests and bench may use them.',
      severity: 'error',
      from: { path: '^(core|actors|adapters|frontends|config)/', pathNot: [TEST_FILE, TESTING, '^frontends/inbox/'] },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      comment: 'Cycles make activation order and module init order fragile; extract the shared part.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // node_modules stay in the graph as leaves (so the dev-dependency rule can see them) but are never cruised.
    doNotFollow: { path: '(^|/)node_modules/' },
    // Anchored: an unanchored `dist/` would also drop packages that resolve into node_modules/*/dist/.
    exclude: { path: '^(data|dist|coverage|\\.tmp|bench/results)/|^frontends/[^/]+/dist/' },
    // Count `import type` edges too: a type-only import still couples the layers.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
