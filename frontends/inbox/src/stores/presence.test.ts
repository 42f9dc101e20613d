import { createRoot } from 'solid-js';
import { describe, expect, it } from 'vitest';
import { fakeApi } from '../../testing/fake-api.ts';
import { ANA, ME, operators, presenceFrame } from '../../testing/fixtures.ts';
import { ApiClient } from '../lib/api.ts';
import { createInboxStore } from './inbox-store.ts';

function setup(routes: Parameters<typeof fakeApi>[0]) {
  const api = fakeApi(routes);
  const client = new ApiClient({ fetch: api.fetch, accessToken: () => 'tok.en' });
  return createRoot((dispose) => ({ store: createInboxStore({ api: client, me: () => ME }), api, dispose }));
}

describe('presence in the inbox store', () => {
  it('reads everyone from GET /v1/operators, applies a newer frame and ignores an older one', async () => {
    const { store, dispose } = setup({ 'GET /v1/operators': { body: operators({ [ANA]: 'online' }) } });
    expect(store.presenceOf(ANA)).toBeNull();
    await store.loadOperators();
    expect(store.presenceOf(ANA)).toBe('online');
    expect(store.presenceOf(ME)).toBe('offline');

    store.applyPresence(presenceFrame(ANA, 'away', '2026-11-20T12:00:10.000Z'));
    expect(store.presenceOf(ANA)).toBe('away');
    store.applyPresence(presenceFrame(ANA, 'offline', '2026-11-20T12:00:05.000Z'));
    expect(store.presenceOf(ANA)).toBe('away');
    store.applyPresence(presenceFrame(ANA, 'online', '2026-11-20T12:00:11.000Z'));
    expect(store.presenceOf(ANA)).toBe('online');
    dispose();
  });

  it('keeps a frame that arrived while the listing was on its way, and keeps what it had when the listing fails', async () => {
    let answer: (value: { body: unknown }) => void = () => undefined;
    const { store, api, dispose } = setup({
      'GET /v1/operators': () => new Promise((resolve) => (answer = resolve)),
    });
    const loading = store.loadOperators();
    await Promise.resolve();
    store.applyPresence(presenceFrame(ANA, 'online', '2026-11-20T12:00:10.000Z'));
    answer({ body: operators({ [ANA]: 'offline' }) });
    await loading;
    expect(store.presenceOf(ANA)).toBe('online');
    expect(store.presenceOf(ME)).toBe('offline');

    api.on('GET /v1/operators', { status: 503, body: { error: { code: 'X', message: 'down' } } });
    await store.loadOperators();
    expect(store.presenceOf(ANA)).toBe('online');
    dispose();
  });
});
