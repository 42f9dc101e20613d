import { batch } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type { ApiClient } from '../lib/api.ts';
import type { QuickReply, QuickReplyDraft, QuickReplyPatch, RenderedQuickReply } from '../lib/wire.ts';
import { messageOf } from './inbox-store.ts';

/**
 * The signed-in user's quick replies, loaded once per session (on first use: the composer's picker or the
 * quick-replies screen) and again after each change made here, so that keystrokes in the composer filter a list in
 * memory instead of asking the API. The list is the API's: the shared ones, one's own and which are shadowed.
 */

interface QuickRepliesState {
  items: QuickReply[];
  status: 'idle' | 'loading' | 'ready' | 'failed';
  error: string | null;
}

export type QuickRepliesStore = ReturnType<typeof createQuickRepliesStore>;

export function createQuickRepliesStore(api: ApiClient) {
  const [state, setState] = createStore<QuickRepliesState>({ items: [], status: 'idle', error: null });
  let inFlight: Promise<void> | null = null;
  let generation = 0;

  /** Reads the list again (after a change); concurrent calls share one request. */
  function reload(): Promise<void> {
    const request = ++generation;
    setState({ status: state.status === 'ready' ? 'ready' : 'loading', error: null });
    const load = api.listQuickReplies().then(
      (items) => {
        if (request !== generation) return;
        batch(() => {
          setState('items', reconcile([...items], { key: 'id' }));
          setState({ status: 'ready', error: null });
        });
      },
      (err: unknown) => {
        if (request !== generation) return;
        setState({ status: state.status === 'ready' ? 'ready' : 'failed', error: messageOf(err) });
      },
    );
    inFlight = load.finally(() => {
      if (request === generation) inFlight = null;
    });
    return inFlight;
  }

  /** Loads the list the first time (and after a failure); afterwards it resolves at once. */
  function ensureLoaded(): Promise<void> {
    if (inFlight) return inFlight;
    if (state.status === 'ready') return Promise.resolve();
    return reload();
  }

  /** Throws the API's refusal (ApiError: the shortcut is taken, a variable is unknown, the role may not). */
  async function create(draft: QuickReplyDraft): Promise<QuickReply> {
    const created = await api.createQuickReply(draft);
    await reload();
    return created;
  }

  async function update(id: string, patch: QuickReplyPatch): Promise<QuickReply> {
    const updated = await api.updateQuickReply(id, patch);
    await reload();
    return updated;
  }

  async function remove(id: string): Promise<void> {
    await api.deleteQuickReply(id);
    await reload();
  }

  function render(conversationId: string, id: string): Promise<RenderedQuickReply> {
    return api.renderQuickReply(conversationId, id);
  }

  return { state, ensureLoaded, reload, create, update, remove, render };
}
