import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PARLO_NODE_FLAGS } from './node-flags.ts';

describe('PARLO_NODE_FLAGS', () => {
  it('are the flags of the npm start script (which builds the inbox web app first)', () => {
    const scripts = (
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts.start).toBe(
      `npm run build:inbox && node ${PARLO_NODE_FLAGS.join(' ')} frontends/cli/parlo.mjs start`,
    );
  });
});
