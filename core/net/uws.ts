import { createRequire } from 'node:module';
import type * as UwsTypes from '@trufflesuite/uws-js-unofficial';

export type Uws = typeof UwsTypes;
export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial';

const require = createRequire(import.meta.url);
let loaded: Uws | undefined;

/**
 * Loads uWebSockets.js's native binary for this Node ABI, or throws. The package's own entry point silently falls
 * back to a slow pure-JS implementation when the binary does not load; Parlo refuses to run degraded instead.
 */
export function loadUws(): Uws {
  if (loaded) return loaded;
  const binary = `@trufflesuite/uws-js-unofficial/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    loaded = require(binary) as Uws;
  } catch (err) {
    throw new Error(
      `uWebSockets.js native binary ${binary} did not load on Node ${process.version} (ABI ${process.versions.modules}): ${String(err)}`,
    );
  }
  return loaded;
}
