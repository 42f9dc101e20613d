import { batch, createMemo, type Accessor } from 'solid-js';
import { createStore, produce, reconcile } from 'solid-js/store';
import type { ApiClient, ConversationsQuery, ControlAction } from '../lib/api.ts';
import { byReadingOrder, previewOf, tickOf } from '../lib/messages.ts';
import type { EventFrame, RealtimeStatus } from '../lib/socket.ts';
import { typingShowMs } from '../lib/typing.ts';
import type {
  ConversationLock,
  ConversationStatus,
  ConversationSummary,
  ConversationView,
  InboxControls,
  Member,
  Message,
  PhoneNumber,
  Presence,
  PresenceFrame,
  RealtimeEvent,
  SendBody,
  TemplateContent,
  TypingFrame,
} from '../lib/wire.ts';

/**
 * The inbox's one store: the listed conversations keyed by id, the open conversation's messages keyed by id, and
 * each conversation's inbox controls (assignee, lock, status). REST pages and realtime events are both merged into
 * it by id (`reconcile`), so a message seen twice (a page and an event, or a replayed event) is one message.
 *
 * The store shows what the server computed: a conversation's 24 h window comes from the API (re-read after a
 * customer message, never derived here), and the lock from the controls' answers and the realtime `assignment`
 * events.
 *
 * Who else is typing is kept here too (`typing`: conversation → user → until when), from the realtime `typing`
 * frames: each entry goes at its `expiresAt` or when an outbound message arrives in that conversation (a message
 * does not name the operator who sent it, so it ends every typing notice of its conversation).
 *
 * And every operator's presence (`presence`: user → online/away/offline), read from `GET /v1/operators` at start and
 * after a resync or reconnect, then kept live by the realtime `presence` frames: a frame older (`at`) than the one
 * held is dropped, and a listing does not overwrite a user whose frame arrived while it was on its way.
 */

export type Tab = 'mine' | 'unassigned' | 'all';

export interface Filters {
  readonly tab: Tab;
  readonly window: '' | 'open' | 'closed';
  readonly unread: boolean;
  readonly name: string;
  readonly number: string;
}

export const DEFAULT_FILTERS: Filters = { tab: 'all', window: '', unread: false, name: '', number: '' };

export interface Controls {
  readonly assignee?: string | null;
  readonly lock?: ConversationLock | null;
  readonly status?: ConversationStatus;
  readonly snoozedUntil?: string | null;
}

export interface OpenConversation {
  id: string;
  view: ConversationView | null;
  messages: Message[];
  nextCursor: string | null;
  isLoading: boolean;
  isLoadingOlder: boolean;
  error: string | null;
}

interface InboxState {
  items: Record<string, ConversationSummary>;
  listed: string[];
  nextCursor: string | null;
  isLoading: boolean;
  error: string | null;
  filters: Filters;
  controls: Record<string, Controls>;
  open: OpenConversation | null;
  realtime: RealtimeStatus;
  members: Member[];
  numbers: PhoneNumber[];
  /** conversationId → userId → expiresAt (ISO): others typing a reply now. */
  typing: Record<string, Record<string, string>>;
  /** userId → presence; `at` is the last frame's (ISO), null when read from the listing. */
  presence: Record<string, PresenceEntry>;
}

export interface PresenceEntry {
  readonly presence: Presence;
  readonly at: string | null;
}

export const PAGE_SIZE = 30;
export const MESSAGE_PAGE_SIZE = 30;
/** Customer messages of the same conversation within this delay re-read its window once. */
const WINDOW_REFRESH_DELAY_MS = 400;
const LIST_RELOAD_DELAY_MS = 400;

export interface InboxStoreDeps {
  readonly api: ApiClient;
  /** The signed-in user's id ("mine", "you are replying"). */
  readonly me: () => string;
}

export type InboxStore = ReturnType<typeof createInboxStore>;

export function createInboxStore(deps: InboxStoreDeps) {
  const { api } = deps;
  const [state, setState] = createStore<InboxState>({
    items: {},
    listed: [],
    nextCursor: null,
    isLoading: false,
    error: null,
    filters: DEFAULT_FILTERS,
    controls: {},
    open: null,
    realtime: 'connecting',
    members: [],
    numbers: [],
    typing: {},
    presence: {},
  });
  let listRequest = 0;
  let openRequest = 0;
  const windowTimers = new Map<string, ReturnType<typeof setTimeout>>();
  let listReloadTimer: ReturnType<typeof setTimeout> | undefined;
  const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  let operatorsRequest = 0;
  /** Users whose presence frame arrived while the latest listing was on its way (the frame is newer). */
  const presenceSeenDuringLoad = new Set<string>();

  /** Newest activity first (the API's order), ties by id. */
  const conversations: Accessor<ConversationSummary[]> = createMemo(() =>
    state.listed
      .map((id) => state.items[id])
      .filter((c): c is ConversationSummary => c !== undefined)
      .sort((a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt) || a.id.localeCompare(b.id)),
  );

  function queryOf(filters: Filters, cursor?: string): ConversationsQuery {
    return {
      limit: PAGE_SIZE,
      ...(filters.tab === 'mine'
        ? { assignee: deps.me() }
        : filters.tab === 'unassigned'
          ? { assignee: 'unassigned' }
          : {}),
      ...(filters.window === '' ? {} : { window: filters.window }),
      ...(filters.unread ? { hasUnread: true } : {}),
      ...(filters.name.trim() === '' ? {} : { q: filters.name.trim() }),
      ...(filters.number === '' ? {} : { number: filters.number }),
      ...(cursor === undefined ? {} : { cursor }),
    };
  }

  function hasNarrowingFilters(filters: Filters): boolean {
    return filters.tab !== 'all' || filters.window !== '' || filters.unread || filters.name.trim() !== '';
  }

  function upsertSummaries(page: readonly ConversationSummary[]): void {
    setState(
      'items',
      produce((items) => {
        for (const summary of page) items[summary.id] = summary;
      }),
    );
  }

  /** The first page for the current filters; replaces the list. */
  async function reload(): Promise<void> {
    const request = ++listRequest;
    setState({ isLoading: true, error: null });
    try {
      const page = await api.listConversations(queryOf(state.filters));
      if (request !== listRequest) return;
      batch(() => {
        upsertSummaries(page.data);
        setState('listed', reconcile(page.data.map((c) => c.id)));
        setState({ nextCursor: page.nextCursor, isLoading: false });
      });
    } catch (err) {
      if (request !== listRequest) return;
      setState({ isLoading: false, error: messageOf(err) });
    }
  }

  async function loadMore(): Promise<void> {
    const cursor = state.nextCursor;
    if (cursor === null || state.isLoading) return;
    const request = listRequest;
    setState({ isLoading: true, error: null });
    try {
      const page = await api.listConversations(queryOf(state.filters, cursor));
      if (request !== listRequest) return;
      batch(() => {
        upsertSummaries(page.data);
        const known = new Set(state.listed);
        setState('listed', (ids) => [...ids, ...page.data.map((c) => c.id).filter((id) => !known.has(id))]);
        setState({ nextCursor: page.nextCursor, isLoading: false });
      });
    } catch (err) {
      if (request !== listRequest) return;
      setState({ isLoading: false, error: messageOf(err) });
    }
  }

  /** A fresh first page merged into the list (a conversation that now matches the filters appears). */
  function scheduleListMerge(): void {
    if (listReloadTimer !== undefined) return;
    listReloadTimer = setTimeout(() => {
      listReloadTimer = undefined;
      const request = listRequest;
      api.listConversations(queryOf(state.filters)).then(
        (page) => {
          if (request !== listRequest) return;
          batch(() => {
            upsertSummaries(page.data);
            const known = new Set(state.listed);
            setState('listed', (ids) => [...ids, ...page.data.map((c) => c.id).filter((id) => !known.has(id))]);
          });
        },
        () => undefined,
      );
    }, LIST_RELOAD_DELAY_MS);
  }

  function setFilters(change: Partial<Filters>): Promise<void> {
    setState('filters', (f) => ({ ...f, ...change }));
    return reload();
  }

  // ------------------------------------------------------------ the open conversation

  function controlsFromView(view: ConversationView): Controls {
    return {
      ...(view.assignee === undefined ? {} : { assignee: view.assignee }),
      ...(view.lock === undefined ? {} : { lock: view.lock }),
      ...(view.status === undefined ? {} : { status: view.status }),
      ...(view.snoozedUntil === undefined ? {} : { snoozedUntil: view.snoozedUntil }),
    };
  }

  function mergeControls(id: string, change: Controls): void {
    setState('controls', id, (c) => ({ ...c, ...change }));
    const assignee = change.assignee;
    if (assignee !== undefined && state.items[id]) setState('items', id, (item) => ({ ...item, assignee }));
  }

  async function openConversation(id: string): Promise<void> {
    const request = ++openRequest;
    setState('open', {
      id,
      view: null,
      messages: [],
      nextCursor: null,
      isLoading: true,
      isLoadingOlder: false,
      error: null,
    });
    try {
      const view = await api.getConversation(id, { limit: MESSAGE_PAGE_SIZE });
      if (request !== openRequest) return;
      batch(() => {
        setState('open', {
          id,
          view,
          messages: [...view.messages].sort(byReadingOrder),
          nextCursor: view.nextCursor,
          isLoading: false,
          isLoadingOlder: false,
          error: null,
        });
        mergeControls(id, controlsFromView(view));
      });
    } catch (err) {
      if (request !== openRequest) return;
      setState('open', (o) => (o === null ? o : { ...o, isLoading: false, error: messageOf(err) }));
    }
  }

  function closeConversation(): void {
    openRequest++;
    setState('open', null);
  }

  async function loadOlder(): Promise<void> {
    const open = state.open;
    if (open === null || open.nextCursor === null || open.isLoadingOlder) return;
    const request = openRequest;
    setState('open', 'isLoadingOlder', true);
    try {
      const page = await api.getConversation(open.id, { cursor: open.nextCursor, limit: MESSAGE_PAGE_SIZE });
      if (request !== openRequest) return;
      batch(() => {
        upsertMessages(page.messages);
        setState('open', (o) => (o === null ? o : { ...o, nextCursor: page.nextCursor, isLoadingOlder: false }));
      });
    } catch (err) {
      if (request !== openRequest) return;
      setState('open', (o) => (o === null ? o : { ...o, isLoadingOlder: false, error: messageOf(err) }));
    }
  }

  /** Re-reads the open conversation's window, customer and newest messages (after a resync or the window's end). */
  async function refreshOpen(): Promise<void> {
    const open = state.open;
    if (open === null) return;
    const request = openRequest;
    try {
      const view = await api.getConversation(open.id, { limit: MESSAGE_PAGE_SIZE });
      if (request !== openRequest) return;
      batch(() => {
        setState('open', 'view', reconcile(view));
        upsertMessages(view.messages);
        mergeControls(open.id, controlsFromView(view));
      });
    } catch {
      // Shown as it was; the next event or reload tries again.
    }
  }

  function upsertMessages(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    setState('open', 'messages', (current) => {
      const byId = new Map(current.map((m) => [m.id, m]));
      for (const m of messages) byId.set(m.id, m);
      return [...byId.values()].sort(byReadingOrder);
    });
  }

  /** The server's window of a conversation, re-read shortly after a customer message (batched per conversation). */
  function scheduleWindowRefresh(id: string): void {
    if (windowTimers.has(id)) return;
    windowTimers.set(
      id,
      setTimeout(() => {
        windowTimers.delete(id);
        api.getConversation(id, { limit: 1 }).then(
          (view) =>
            batch(() => {
              if (state.items[id]) {
                const window = { isOpen: view.window.service.isOpen, expiresAt: view.window.service.expiresAt };
                setState('items', id, (item) => ({ ...item, window }));
              }
              if (state.open?.id === id && state.open.view) {
                setState('open', 'view', (v) => (v === null ? v : { ...v, window: view.window }));
              }
            }),
          () => undefined,
        );
      }, WINDOW_REFRESH_DELAY_MS),
    );
  }

  // ------------------------------------------------------------ realtime

  function applyEvent(frame: EventFrame): void {
    const event = frame.event;
    batch(() => {
      switch (event.type) {
        case 'message':
        case 'messageUpdated':
          if (event.message) applyMessage(event, event.message);
          return;
        case 'assignment':
          applyAssignment(event);
          return;
        case 'conversationStatus':
          mergeControls(event.conversationId, {
            ...(event.status === undefined ? {} : { status: event.status }),
            ...(event.snoozedUntil === undefined ? {} : { snoozedUntil: event.snoozedUntil }),
          });
          return;
        default:
          return;
      }
    });
  }

  function applyMessage(event: RealtimeEvent, message: Message): void {
    const id = event.conversationId;
    const item = state.items[id];
    const lastMessage = {
      direction: message.direction,
      type: message.type,
      preview: previewOf(message),
      failed: tickOf(message) === 'failed',
    };
    if (item) {
      const isNewer = message.at > item.lastActivityAt;
      if (event.type === 'message' && message.at >= item.lastActivityAt) {
        setState('items', id, {
          customer: event.customer,
          lastActivityAt: message.at,
          lastMessage,
          unreadCount: message.direction === 'out' ? 0 : item.unreadCount + (isNewer ? 1 : 0),
        });
      } else if (message.at === item.lastActivityAt && message.direction === item.lastMessage.direction) {
        setState('items', id, (current) => ({ ...current, lastMessage }));
      }
      if (!state.listed.includes(id) && event.type === 'message' && !hasNarrowingFilters(state.filters)) {
        setState('listed', (ids) => [...ids, id]);
      }
    } else if (event.type === 'message') {
      if (
        hasNarrowingFilters(state.filters) ||
        (state.filters.number !== '' && state.filters.number !== event.phoneNumberId)
      ) {
        scheduleListMerge();
      } else {
        setState('items', id, {
          id,
          phoneNumberId: event.phoneNumberId,
          customer: event.customer,
          lastActivityAt: message.at,
          lastMessage,
          // Shown until the API's answer (scheduleWindowRefresh) replaces it.
          window: { isOpen: message.direction === 'in', expiresAt: null },
          assignee: state.controls[id]?.assignee ?? null,
          unreadCount: message.direction === 'in' ? 1 : 0,
        });
        setState('listed', (ids) => [...ids, id]);
      }
    }
    if (message.direction === 'in') scheduleWindowRefresh(id);
    if (event.type === 'message' && message.direction === 'out') stopTyping(id);
    if (state.open?.id === id) upsertMessages([message]);
  }

  function applyAssignment(event: RealtimeEvent): void {
    const id = event.conversationId;
    mergeControls(id, {
      ...(event.assignee === undefined ? {} : { assignee: event.assignee }),
      ...(event.lock === undefined ? {} : { lock: event.lock }),
    });
    if (event.assignee === undefined) return;
    const { tab } = state.filters;
    const matches = tab === 'all' || (tab === 'mine' ? event.assignee === deps.me() : event.assignee === null);
    if (!matches) setState('listed', (ids) => ids.filter((x) => x !== id));
    else if (!state.listed.includes(id)) scheduleListMerge();
  }

  // ------------------------------------------------------------ typing

  const typingKey = (conversationId: string, userId: string) => `${conversationId}\n${userId}`;

  /** Someone else typing: shown until the frame's expiresAt (a later frame extends it). Our own frames are ignored. */
  function applyTyping(frame: TypingFrame): void {
    if (frame.userId === deps.me()) return;
    const showMs = typingShowMs(frame.expiresAt, Date.now());
    if (showMs === 0) return;
    const key = typingKey(frame.conversationId, frame.userId);
    clearTimeout(typingTimers.get(key));
    typingTimers.set(
      key,
      setTimeout(() => stopTyping(frame.conversationId, frame.userId), showMs),
    );
    setState('typing', frame.conversationId, (users) => ({ ...users, [frame.userId]: frame.expiresAt }));
  }

  /** Ends the typing notice of one user in a conversation, or of everyone in it. */
  function stopTyping(conversationId: string, userId?: string): void {
    const users = state.typing[conversationId];
    if (!users) return;
    const ended = userId === undefined ? Object.keys(users) : [userId];
    for (const user of ended) {
      const key = typingKey(conversationId, user);
      clearTimeout(typingTimers.get(key));
      typingTimers.delete(key);
    }
    setState(
      'typing',
      produce((typing) => {
        const current = typing[conversationId];
        if (!current) return;
        for (const user of ended) delete current[user];
        if (Object.keys(current).length === 0) delete typing[conversationId];
      }),
    );
  }

  /** The users typing in a conversation now (not the signed-in one). */
  function typists(conversationId: string): string[] {
    return Object.keys(state.typing[conversationId] ?? {});
  }

  // ------------------------------------------------------------ presence

  /** Everyone's presence from `GET /v1/operators` (at start, after a resync or a reconnect); a failure keeps it. */
  async function loadOperators(): Promise<void> {
    const request = ++operatorsRequest;
    presenceSeenDuringLoad.clear();
    let operators: Awaited<ReturnType<ApiClient['listOperators']>>;
    try {
      operators = await api.listOperators();
    } catch {
      return;
    }
    if (request !== operatorsRequest) return;
    setState(
      'presence',
      produce((presence) => {
        for (const o of operators) {
          if (!presenceSeenDuringLoad.has(o.userId)) presence[o.userId] = { presence: o.presence, at: null };
        }
      }),
    );
    presenceSeenDuringLoad.clear();
  }

  /** A realtime presence frame; one older than the frame held for that user is dropped. */
  function applyPresence(frame: PresenceFrame): void {
    const held = state.presence[frame.userId];
    if (held !== undefined && held.at !== null && Date.parse(frame.at) < Date.parse(held.at)) return;
    presenceSeenDuringLoad.add(frame.userId);
    setState('presence', frame.userId, { presence: frame.presence, at: frame.at });
  }

  /** A user's presence, or null before it is known. */
  function presenceOf(userId: string): Presence | null {
    return state.presence[userId]?.presence ?? null;
  }

  /** After a `resync`: what the missed events would have changed, read again. */
  async function resync(): Promise<void> {
    await Promise.all([reload(), refreshOpen(), loadOperators()]);
  }

  // ------------------------------------------------------------ commands

  /** An inbox control on the open conversation; throws the API's refusal. */
  async function control(action: ControlAction, body?: unknown): Promise<InboxControls> {
    const open = state.open;
    if (open === null) throw new Error('no conversation is open');
    const answer = await api.control(open.id, action, body);
    mergeControls(open.id, answer);
    return answer;
  }

  /** Sends on the open conversation; throws the API's refusal (409 PARLO_CONVERSATION_LOCKED, PARLO_WINDOW_CLOSED…). */
  async function send(content: SendBody['content'], category?: SendBody['category']): Promise<void> {
    const open = state.open;
    const view = open?.view;
    if (!open || !view || view.phoneNumberId === null) throw new Error('the conversation is not loaded');
    const { phone, userId } = view.customer;
    const to = phone !== null ? { to: phone.startsWith('+') ? phone : `+${phone}` } : { toUserId: userId ?? '' };
    await api.sendMessage({
      from: view.phoneNumberId,
      ...to,
      ...(category === undefined ? {} : { category }),
      content,
    });
    // Live, the message arrives as an event; without the gateway, read it back.
    if (state.realtime !== 'live') void refreshOpen();
  }

  function sendTemplate(content: TemplateContent, category: 'marketing' | 'utility' | 'authentication') {
    return send(content, category);
  }

  async function loadDirectory(): Promise<void> {
    const [org, numbers] = await Promise.allSettled([api.getOrg(), api.listNumbers()]);
    batch(() => {
      if (org.status === 'fulfilled') setState('members', reconcile([...org.value.members], { key: 'userId' }));
      if (numbers.status === 'fulfilled') {
        setState('numbers', reconcile([...numbers.value], { key: 'phoneNumberId' }));
      }
    });
  }

  function dispose(): void {
    for (const timer of windowTimers.values()) clearTimeout(timer);
    windowTimers.clear();
    if (listReloadTimer !== undefined) clearTimeout(listReloadTimer);
    for (const timer of typingTimers.values()) clearTimeout(timer);
    typingTimers.clear();
  }

  return {
    api,
    state,
    conversations,
    reload,
    loadMore,
    setFilters,
    openConversation,
    closeConversation,
    loadOlder,
    refreshOpen,
    applyEvent,
    applyTyping,
    typists,
    loadOperators,
    applyPresence,
    presenceOf,
    resync,
    control,
    send,
    sendTemplate,
    loadDirectory,
    setRealtimeStatus: (status: RealtimeStatus) => setState('realtime', status),
    dispose,
  };
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
