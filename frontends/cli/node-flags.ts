/**
 * The V8 flags `npm start` runs a Parlo node with (package.json's `start` script; the benchmarks fork their nodes
 * with the same). A 64 MB young generation (V8's default is 16 MB) lets the short-lived objects of a turn, an HTTP
 * request or a webhook batch die young instead of being promoted: measured with `npm run bench -- send` (actor
 * driver, 2026-11-26, 2 cores) 9 % less CPU per message and 9 % more messages per second.
 */
export const PARLO_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
