import { Show, createEffect, createSignal, on, onCleanup, onMount } from 'solid-js';
import { ConversationList } from '../components/conversation-list.tsx';
import { ConversationView } from '../components/conversation-view.tsx';
import { REPLY_INPUT_ID } from '../components/composer.tsx';
import { HelpDialog } from '../components/help-dialog.tsx';
import { LanguageSwitch } from '../components/language-switch.tsx';
import { PresenceSummary } from '../components/presence.tsx';
import { QuickRepliesPage } from './quick-replies-page.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/i18n.ts';
import { createNow } from '../lib/clock.ts';
import {
  QUICK_REPLIES_PATH,
  conversationIdOf,
  conversationPath,
  createRouter,
  isQuickRepliesPath,
} from '../lib/router.ts';
import type { SessionStore } from '../lib/session.ts';
import {
  RealtimeClient,
  SESSION_ENDED_CLOSE_CODE,
  TOKEN_EXPIRED_CLOSE_CODE,
  type RealtimeStatus,
  type SocketFactory,
} from '../lib/socket.ts';
import { createTypingNotifier } from '../lib/typing.ts';
import type { UserSummary } from '../lib/wire.ts';
import { InboxContext } from '../stores/inbox-context.ts';
import { createInboxStore } from '../stores/inbox-store.ts';
import { createQuickRepliesStore } from '../stores/quick-replies-store.ts';

const STATUS_KEYS: Readonly<Record<RealtimeStatus, MessageKey>> = {
  connecting: 'realtime.connecting',
  live: 'realtime.live',
  offline: 'realtime.offline',
  unavailable: 'realtime.unavailable',
};

/** Whether a key press is typing (in a field) rather than a shortcut. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * The signed-in inbox: the list and the open conversation side by side (one at a time on a phone), fed by REST and
 * kept live by the realtime gateway; keyboard shortcuts (see HelpDialog's SHORTCUTS). At `/settings/quick-replies`
 * the quick replies screen takes the panes' place (the realtime connection stays up).
 */
export function InboxPage(props: {
  readonly session: SessionStore;
  readonly user: UserSummary;
  readonly createSocket?: SocketFactory;
}) {
  const i18n = useI18n();
  const router = createRouter();
  const now = createNow();
  const store = createInboxStore({ api: props.session.api, me: () => props.user.id });
  const quickReplies = createQuickRepliesStore(props.session.api);
  const [isHelpOpen, setHelpOpen] = createSignal(false);
  const selectedId = () => conversationIdOf(router.path());
  const isSettings = () => isQuickRepliesPath(router.path());

  // Presence frames are not replayed: after a lost connection, everyone's presence is read again.
  let hasMissedPresence = false;
  function onStatus(status: RealtimeStatus) {
    store.setRealtimeStatus(status);
    if (status === 'offline' || status === 'unavailable') hasMissedPresence = true;
    else if (status === 'live' && hasMissedPresence) {
      hasMissedPresence = false;
      void store.loadOperators();
    }
  }

  const realtime = new RealtimeClient({
    endpoint: async () => (await props.session.api.realtimeEndpoint()).url,
    token: () => props.session.session()?.tokens.accessToken ?? null,
    onEvent: (frame) => store.applyEvent(frame),
    onTyping: (frame) => store.applyTyping(frame),
    onPresence: (frame) => store.applyPresence(frame),
    onResync: () => store.resync(),
    onStatus,
    // Signed out elsewhere or revoked: a refresh tells (and signs this tab out if so) before reconnecting. The
    // access token expired: the reconnect needs the refreshed one (usually refreshed a minute before already).
    onClose: (code) => {
      if (code === SESSION_ENDED_CLOSE_CODE || code === TOKEN_EXPIRED_CLOSE_CODE) void props.session.refresh();
    },
    ...(props.createSocket ? { createSocket: props.createSocket } : {}),
  });

  const notifyTyping = createTypingNotifier({ send: (id) => realtime.sendTyping(id) });

  const open = (id: string) => router.navigate(conversationPath(id));
  const back = () => router.navigate('/');
  const navigate = (path: string) => router.navigate(path);

  createEffect(
    on(selectedId, (id) => {
      if (id === null) store.closeConversation();
      else if (store.state.open?.id !== id) void store.openConversation(id);
    }),
  );

  function step(delta: 1 | -1) {
    const list = store.conversations();
    if (list.length === 0) return;
    const index = list.findIndex((c) => c.id === selectedId());
    const next = list[index === -1 ? (delta === 1 ? 0 : list.length - 1) : index + delta];
    if (!next) return;
    open(next.id);
    queueMicrotask(() =>
      document.querySelector<HTMLElement>(`[data-conversation-id="${CSS.escape(next.id)}"]`)?.scrollIntoView?.({
        block: 'nearest',
      }),
    );
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (isHelpOpen()) return;
    if (e.key === 'Escape') {
      if (isTyping(e.target)) (e.target as HTMLElement).blur();
      else if (selectedId() !== null || isSettings()) back();
      return;
    }
    if (isTyping(e.target)) return;
    // The list's shortcuts have no list to act on here.
    if (isSettings() && e.key !== '?') return;
    switch (e.key) {
      case 'j':
        e.preventDefault();
        step(1);
        return;
      case 'k':
        e.preventDefault();
        step(-1);
        return;
      case 'r':
        e.preventDefault();
        document.getElementById(REPLY_INPUT_ID)?.focus();
        return;
      case '/':
        e.preventDefault();
        document.getElementById('conversation-search')?.focus();
        return;
      case '?':
        e.preventDefault();
        setHelpOpen(true);
        return;
      default:
        return;
    }
  }

  const onOnline = () => realtime.reconnectNow();
  onMount(() => {
    document.addEventListener('keydown', onKeyDown);
    window.addEventListener('online', onOnline);
    realtime.start();
    void store.reload();
    void store.loadDirectory();
    void store.loadOperators();
  });
  onCleanup(() => {
    document.removeEventListener('keydown', onKeyDown);
    window.removeEventListener('online', onOnline);
    realtime.stop();
    store.dispose();
  });

  return (
    <InboxContext.Provider value={{ store, quickReplies, user: props.user, now, open, back, navigate, notifyTyping }}>
      <div class="inbox" classList={{ 'has-open': selectedId() !== null, 'on-settings': isSettings() }}>
        <Show
          when={isSettings()}
          fallback={
            <a class="skip-link" href="#conversation-title">
              {i18n.t('app.skipToContent')}
            </a>
          }
        >
          <a class="skip-link" href="#settings-title">
            {i18n.t('app.skipToQuickReplies')}
          </a>
        </Show>
        <header class="top-bar">
          <h1>{i18n.t('app.title')}</h1>
          <span class={`realtime realtime-${store.state.realtime}`} role="status">
            {i18n.t(STATUS_KEYS[store.state.realtime])}
          </span>
          <span class="spacer" />
          <PresenceSummary />
          <a
            class="top-link"
            href={QUICK_REPLIES_PATH}
            aria-current={isSettings() ? 'page' : undefined}
            onClick={(e) => {
              if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
              e.preventDefault();
              navigate(QUICK_REPLIES_PATH);
            }}
          >
            {i18n.t('app.quickReplies')}
          </a>
          <LanguageSwitch />
          <button type="button" class="icon" onClick={() => setHelpOpen(true)} aria-label={i18n.t('help.open')}>
            ?
          </button>
          <span class="me" title={i18n.t('session.signedInAs', { email: props.user.email })}>
            {props.user.email}
          </span>
          <button type="button" onClick={() => void props.session.signOut()}>
            {i18n.t('session.signOut')}
          </button>
        </header>
        <Show
          when={isSettings()}
          fallback={
            <div class="panes">
              <ConversationList selectedId={selectedId()} />
              <ConversationView />
            </div>
          }
        >
          <QuickRepliesPage />
        </Show>
        <Show when={isHelpOpen()}>
          <HelpDialog isOpen={isHelpOpen()} onClose={() => setHelpOpen(false)} />
        </Show>
      </div>
    </InboxContext.Provider>
  );
}
