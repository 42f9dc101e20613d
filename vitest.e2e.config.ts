import { configDefaults, defineConfig } from 'vitest/config';

/**
 * End-to-end tier (STYLE.md 2.1): `frontends/inbox/e2e/*.e2e.test.ts` drives the built inbox in a real Chromium
 * (playwright-core, `/usr/bin/chromium` or CHROMIUM_PATH) against a real node started by the composition root.
 * `npm run test:e2e` builds the app first; screenshots go to artifacts/screenshots/.
 */
export default defineConfig({
  test: {
    name: 'e2e',
    include: ['frontends/inbox/e2e/**/*.e2e.test.ts'],
    exclude: [...configDefaults.exclude, '**/dist/**'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
