import { render, waitFor } from '@solidjs/testing-library';
import { App } from '../src/app.tsx';
import { createI18n, type Language } from '../src/i18n/i18n.ts';
import { createSessionStore } from '../src/lib/session.ts';
import type { Role } from '../src/lib/wire.ts';
import { fakeApi, type FakeAnswer, type FakeApi, type FakeRoute } from './fake-api.ts';
import { fakeSockets, type FakeSocket } from './fake-socket.ts';
import { numbers, operators, org, storeSession } from './fixtures.ts';

/**
 * The whole app over a fake API and fake sockets. `signedIn` stores a session first (as after a sign-in), with the
 * organisation, its numbers, its operators (all offline) and the realtime endpoint answered unless `routes` says
 * otherwise.
 */
export function renderApp(
  options: {
    routes?: Record<string, FakeRoute | FakeAnswer>;
    signedIn?: Role | false;
    language?: Language;
    path?: string;
  } = {},
) {
  if (options.signedIn !== false) storeSession(options.signedIn ?? 'operator');
  if (options.path) history.replaceState(null, '', options.path);
  const api: FakeApi = fakeApi({
    'GET /v1/org': { body: org() },
    'GET /v1/numbers': { body: numbers() },
    'GET /v1/operators': { body: operators() },
    'GET /v1/realtime': { body: { url: 'ws://gateway.test/v1/realtime' } },
    'GET /v1/conversations': { body: { data: [], nextCursor: null } },
    'GET /v1/quick-replies': { body: { items: [] } },
    ...options.routes,
  });
  const sockets = fakeSockets();
  const session = createSessionStore({ fetch: api.fetch, storage: sessionStorage });
  const i18n = createI18n({ initial: options.language ?? 'en', storage: localStorage });
  const result = render(() => <App session={session} i18n={i18n} createSocket={sockets.factory} />);
  /** Waits for the app's realtime socket, opens it and answers its subscription: the inbox is live. */
  async function connect(lastSeq = 0): Promise<FakeSocket> {
    await waitFor(() => {
      if (sockets.sockets.length === 0) throw new Error('the app opened no realtime socket yet');
    });
    const socket = sockets.last();
    socket.open();
    socket.receive({ type: 'subscribed', scope: 'org', id: '0123456789abcdef', lastSeq });
    return socket;
  }
  return { ...result, api, sockets, session, i18n, connect };
}
