import { For, Show, createSignal, onCleanup } from 'solid-js';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/i18n.ts';
import { memberName } from '../lib/people.ts';
import { conversationPath } from '../lib/router.ts';
import type { ConversationSummary } from '../lib/wire.ts';
import { useInbox } from '../stores/inbox-context.ts';
import { PresenceDot } from './presence.tsx';
import type { Filters, Tab } from '../stores/inbox-store.ts';

const TABS: readonly { tab: Tab; key: MessageKey }[] = [
  { tab: 'mine', key: 'list.mine' },
  { tab: 'unassigned', key: 'list.unassigned' },
  { tab: 'all', key: 'list.all' },
];

const SEARCH_DELAY_MS = 300;

export function customerName(c: Pick<ConversationSummary, 'customer'>): string {
  const { profileName, phone, userId } = c.customer;
  return profileName ?? (phone !== null ? `+${phone.replace(/^\+/, '')}` : (userId ?? '?'));
}

/** The conversations of the organisation: tabs, filters, newest activity first, "load more". */
export function ConversationList(props: { readonly selectedId: string | null }) {
  const i18n = useI18n();
  const inbox = useInbox();
  const { store } = inbox;
  const [search, setSearch] = createSignal(store.state.filters.name);
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(searchTimer));

  const setFilters = (change: Partial<Filters>) => void store.setFilters(change);

  const typeLabel = (type: string): string => {
    const key = `preview.${type}` as MessageKey;
    const known = [
      'image',
      'video',
      'audio',
      'document',
      'sticker',
      'location',
      'contacts',
      'reaction',
      'template',
      'interactive',
    ];
    return known.includes(type) ? i18n.t(key) : i18n.t('preview.other', { type });
  };

  /** The last message, or while searching the message whose text matched. */
  const previewText = (c: ConversationSummary): string => {
    if (c.match !== undefined && store.state.filters.name.trim() !== '') {
      return c.match.direction === 'out' ? i18n.t('preview.outgoing', { text: c.match.excerpt }) : c.match.excerpt;
    }
    const text = c.lastMessage.preview ?? typeLabel(c.lastMessage.type);
    return c.lastMessage.direction === 'out' ? i18n.t('preview.outgoing', { text }) : text;
  };

  return (
    <section class="conversation-list" aria-labelledby="list-title">
      <h2 id="list-title" class="visually-hidden">
        {i18n.t('list.title')}
      </h2>
      <div class="tabs" role="group" aria-label={i18n.t('list.tabs')}>
        <For each={TABS}>
          {({ tab, key }) => (
            <button
              type="button"
              class="tab"
              aria-pressed={store.state.filters.tab === tab}
              onClick={() => setFilters({ tab })}
            >
              {i18n.t(key)}
            </button>
          )}
        </For>
      </div>
      <fieldset class="filters">
        <legend class="visually-hidden">{i18n.t('list.filters')}</legend>
        <label class="search">
          <span class="visually-hidden">{i18n.t('list.search')}</span>
          <input
            id="conversation-search"
            type="search"
            placeholder={i18n.t('list.search')}
            value={search()}
            onInput={(e) => {
              const value = e.currentTarget.value;
              setSearch(value);
              clearTimeout(searchTimer);
              searchTimer = setTimeout(() => setFilters({ name: value }), SEARCH_DELAY_MS);
            }}
          />
        </label>
        <label>
          <span class="visually-hidden">{i18n.t('list.window')}</span>
          <select
            value={store.state.filters.window}
            onChange={(e) => setFilters({ window: e.currentTarget.value as Filters['window'] })}
          >
            <option value="">{i18n.t('list.windowAny')}</option>
            <option value="open">{i18n.t('list.windowOpen')}</option>
            <option value="closed">{i18n.t('list.windowClosed')}</option>
          </select>
        </label>
        <Show when={store.state.numbers.length > 1}>
          <label>
            <span class="visually-hidden">{i18n.t('list.number')}</span>
            <select value={store.state.filters.number} onChange={(e) => setFilters({ number: e.currentTarget.value })}>
              <option value="">{i18n.t('list.allNumbers')}</option>
              <For each={store.state.numbers}>
                {(n) => (
                  <option value={n.phoneNumberId}>{n.displayName ?? n.verifiedName ?? n.displayPhoneNumber}</option>
                )}
              </For>
            </select>
          </label>
        </Show>
        <label class="checkbox">
          <input
            type="checkbox"
            checked={store.state.filters.unread}
            onChange={(e) => setFilters({ unread: e.currentTarget.checked })}
          />
          {i18n.t('list.unreadOnly')}
        </label>
      </fieldset>
      <Show when={store.state.error}>
        {(error) => (
          <p class="form-error" role="alert">
            {i18n.t('error.generic', { message: error() })}
          </p>
        )}
      </Show>
      <ul class="conversations" aria-label={i18n.t('list.title')} aria-busy={store.state.isLoading}>
        <For each={store.conversations()}>
          {(c) => (
            <li>
              <a
                href={conversationPath(c.id)}
                class="conversation-item"
                classList={{ unread: c.unreadCount > 0 }}
                aria-current={props.selectedId === c.id ? 'page' : undefined}
                data-conversation-id={c.id}
                onClick={(e) => {
                  if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
                  e.preventDefault();
                  inbox.open(c.id);
                }}
              >
                <span class="item-top">
                  <span class="item-name">{customerName(c)}</span>
                  <time class="item-time" dateTime={c.lastActivityAt}>
                    {i18n.formatTime(c.lastActivityAt)}
                  </time>
                </span>
                <span class="item-bottom">
                  <span class="item-preview" classList={{ failed: c.lastMessage.failed }}>
                    {previewText(c)}
                  </span>
                  <Show when={c.unreadCount > 0}>
                    <span class="badge" aria-label={i18n.t('list.unread', { count: c.unreadCount })}>
                      {c.unreadCount}
                    </span>
                  </Show>
                </span>
                <span class="item-meta">
                  <Show when={store.typists(c.id).length > 0}>
                    <span class="chip typing">{i18n.t('list.typing')}</span>
                  </Show>
                  <Show when={!c.window.isOpen}>
                    <span class="chip closed">{i18n.t('list.closedWindow')}</span>
                  </Show>
                  <Show when={c.lastMessage.failed}>
                    <span class="chip failed">{i18n.t('list.failed')}</span>
                  </Show>
                  <Show when={c.assignee}>
                    {(assignee) => (
                      <span class="chip assignee">
                        {i18n.t('list.assignedTo', {
                          name:
                            assignee() === inbox.user.id
                              ? i18n.t('list.you')
                              : memberName(store.state.members, assignee()),
                        })}
                        <Show when={store.presenceOf(assignee())}>
                          {(presence) => <PresenceDot presence={presence()} />}
                        </Show>
                      </span>
                    )}
                  </Show>
                </span>
              </a>
            </li>
          )}
        </For>
      </ul>
      <Show when={!store.state.isLoading && store.conversations().length === 0}>
        <p class="empty">{i18n.t('list.empty')}</p>
      </Show>
      <Show when={store.state.isLoading}>
        <p class="loading" role="status">
          {i18n.t('list.loading')}
        </p>
      </Show>
      <Show when={store.state.nextCursor !== null && !store.state.isLoading}>
        <button type="button" class="load-more" onClick={() => void store.loadMore()}>
          {i18n.t('list.loadMore')}
        </button>
      </Show>
    </section>
  );
}
