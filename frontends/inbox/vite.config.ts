import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

/**
 * The inbox web app: `npm run build:inbox` builds it into dist/ (served by the HTTP frontend at `/`);
 * `npm run dev:inbox` serves it with hot reload and passes `/v1` to a node started with `npm start` on :8080.
 */
export default defineConfig({
  plugins: [solid()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
});
