import solid from 'vite-plugin-solid';
import { configDefaults, defineConfig } from 'vitest/config';

/** Generated or runtime folders that never hold tests. */
const NOT_SOURCE = [...configDefaults.exclude, '**/data/**', '**/dist/**', '**/coverage/**', '**/.tmp/**'];

/**
 * Test tiers (STYLE.md 2.1): `unit` is `*.test.ts` with no I/O and runs in seconds; `integration` is
 * `*.int.test.ts` against real processes (nats-server, LMDB in a temp dir, real sockets). `*.e2e.test.ts`
 * (real Chromium) runs from its own config. `inbox` is the web app's component tests (`frontends/inbox`, Solid in
 * jsdom). `npm test` runs every project; `--project <name>` picks one.
 */
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          // The web app's tests need the DOM and Solid's browser build: they are the `inbox` project's.
          exclude: [...NOT_SOURCE, '**/*.int.test.ts', '**/*.e2e.test.ts', 'frontends/inbox/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: NOT_SOURCE,
          // Child processes (nats-server) and native modules (lmdb) are happiest in separate processes.
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        plugins: [solid()],
        test: {
          name: 'inbox',
          include: ['frontends/inbox/**/*.test.{ts,tsx}'],
          exclude: [...NOT_SOURCE, '**/*.int.test.ts', '**/*.e2e.test.ts'],
          environment: 'jsdom',
          setupFiles: ['frontends/inbox/testing/setup.ts'],
        },
      },
    ],
  },
});
