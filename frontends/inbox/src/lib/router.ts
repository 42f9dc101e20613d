import { createSignal, onCleanup, type Accessor } from 'solid-js';

/**
 * The app's places, in the address bar so that a link, a reload and the back button work: `/` (the list),
 * `/conversations/<id>` (one conversation) and `/settings/quick-replies` (the quick replies screen). The HTTP
 * frontend answers any such path with the app (frontends/http/routes/inbox-app.routes.ts: a browser navigation to
 * a path no route matches, outside the API's prefixes, gets index.html).
 */
export const CONVERSATION_PATH = '/conversations/';
export const QUICK_REPLIES_PATH = '/settings/quick-replies';

/** Whether a path is the quick replies screen (a trailing slash allowed). */
export function isQuickRepliesPath(path: string): boolean {
  return path === QUICK_REPLIES_PATH || path === `${QUICK_REPLIES_PATH}/`;
}

export function conversationPath(id: string): string {
  return `${CONVERSATION_PATH}${encodeURIComponent(id)}`;
}

export function conversationIdOf(path: string): string | null {
  if (!path.startsWith(CONVERSATION_PATH)) return null;
  const encoded = path.slice(CONVERSATION_PATH.length).split('/', 1)[0] ?? '';
  if (encoded === '') return null;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
}

export interface Router {
  readonly path: Accessor<string>;
  navigate(path: string, options?: { replace?: boolean }): void;
}

/** Follows `location.pathname` (push/replace here, popstate from the back button); call inside a component. */
export function createRouter(): Router {
  const [path, setPath] = createSignal(location.pathname);
  const onPop = () => setPath(location.pathname);
  window.addEventListener('popstate', onPop);
  onCleanup(() => window.removeEventListener('popstate', onPop));
  return {
    path,
    navigate(next, options = {}) {
      if (next === location.pathname) return;
      if (options.replace) history.replaceState(null, '', next);
      else history.pushState(null, '', next);
      setPath(next);
    },
  };
}
