import { For, Show, createEffect, createMemo, createResource, createSignal, on } from 'solid-js';
import { useI18n } from '../i18n/i18n.ts';
import { canReply, canTakeOver, memberName } from '../lib/people.ts';
import { ApiError, type ControlAction } from '../lib/api.ts';
import type { SendBody, TemplateDefinition } from '../lib/wire.ts';
import { useInbox } from '../stores/inbox-context.ts';
import { Composer } from './composer.tsx';
import { customerName } from './conversation-list.tsx';
import { ErrorNotice, errorText } from './error-notice.tsx';
import { MessageBubble } from './message-bubble.tsx';
import { PresenceDot } from './presence.tsx';
import { TemplatePicker } from './template-picker.tsx';

const HOUR_MS = 60 * 60 * 1000;
/** The templates key when the number's account is not known: the API picks the organisation's only account. */
const ANY_ACCOUNT = '*';
const USER_ID = /\busr[0-9a-f]{16}\b/g;

/** The time a snooze choice means, from now (local time for "tomorrow 9:00"). */
export function snoozeUntil(choice: string, nowMs: number): string | null {
  switch (choice) {
    case '1h':
      return new Date(nowMs + HOUR_MS).toISOString();
    case '4h':
      return new Date(nowMs + 4 * HOUR_MS).toISOString();
    case 'tomorrow': {
      const d = new Date(nowMs);
      d.setDate(d.getDate() + 1);
      d.setHours(9, 0, 0, 0);
      return d.toISOString();
    }
    case 'week':
      return new Date(nowMs + 7 * 24 * HOUR_MS).toISOString();
    default:
      return null;
  }
}

/**
 * One conversation: who holds it, its controls, the time left in its window, its messages (older pages on demand)
 * and the composer, or the template picker once the window is closed.
 */
export function ConversationView() {
  const i18n = useI18n();
  const inbox = useInbox();
  const { store, user, now } = inbox;
  const open = () => store.state.open;
  const view = () => open()?.view ?? null;
  const [error, setError] = createSignal<string | null>(null);
  const [isBusy, setBusy] = createSignal(false);

  const controls = () => {
    const id = open()?.id;
    return id === undefined ? {} : (store.state.controls[id] ?? {});
  };
  const activeLock = () => {
    const lock = controls().lock;
    return lock && Date.parse(lock.expiresAt) > now() ? lock : null;
  };
  const isMine = () => activeLock()?.holder === user.id;
  const heldByOther = () => {
    const lock = activeLock();
    return lock !== null && lock.holder !== user.id ? lock : null;
  };
  const nameOf = (userId: string) =>
    userId === user.id ? i18n.t('list.you') : memberName(store.state.members, userId);
  /** The API names people by user id ("usr… holds this conversation"): show their names instead. */
  const withNames = (text: string) => text.replace(USER_ID, (id) => memberName(store.state.members, id));
  const assignee = () => {
    const id = open()?.id;
    if (id === undefined) return null;
    const fromControls = controls().assignee;
    return fromControls !== undefined ? fromControls : (store.state.items[id]?.assignee ?? null);
  };
  const status = () => controls().status ?? null;

  /** "Ana Rossi is typing…" while others type a reply here (realtime typing frames). */
  const typingText = () => {
    const id = open()?.id;
    const names = id === undefined ? [] : store.typists(id).map((userId) => memberName(store.state.members, userId));
    const [first, second] = names;
    if (first === undefined) return '';
    if (second === undefined) return i18n.t('typing.one', { name: first });
    return names.length === 2 ? i18n.t('typing.two', { first, second }) : i18n.t('typing.many');
  };

  const disabledReason = () => {
    if (!canReply(user.role)) return i18n.t('composer.readOnly');
    const other = heldByOther();
    return other ? i18n.t('composer.lockedBy', { name: nameOf(other.holder) }) : null;
  };

  // ---- the window: the server says whether free-form is allowed and until when
  const windowExpiresAt = () => {
    const w = view()?.window;
    if (!w) return null;
    const ends = [w.service, w.freeEntryPoint]
      .filter((x) => x.isOpen && x.expiresAt !== null)
      .map((x) => Date.parse(x.expiresAt as string));
    return ends.length === 0 ? null : Math.max(...ends);
  };
  const remainingMs = () => {
    const end = windowExpiresAt();
    return end === null ? null : end - now();
  };
  const canSendFreeForm = () => (view()?.window.canSendFreeForm ?? false) && (remainingMs() ?? 1) > 0;
  // When the countdown runs out, ask the server again (the composer turns into the template picker).
  createEffect(
    on(
      () => remainingMs() !== null && (remainingMs() as number) <= 0,
      (isOver) => {
        if (isOver) void store.refreshOpen();
      },
    ),
  );

  // ---- templates of the conversation's business account (for the picker and for showing sent templates)
  const wabaId = () => store.state.numbers.find((n) => n.phoneNumberId === view()?.phoneNumberId)?.wabaId;
  const hasTemplateMessages = () => open()?.messages.some((m) => m.type === 'template') ?? false;
  // A string key (not an object), so that the clock's ticks and view refreshes do not fetch them again.
  const templatesKey = createMemo(() =>
    view() !== null && (!canSendFreeForm() || hasTemplateMessages()) ? (wabaId() ?? ANY_ACCOUNT) : null,
  );
  const [templates] = createResource(
    templatesKey,
    async (key) => (await store.api.listTemplates(key === ANY_ACCOUNT ? undefined : key)).templates,
  );
  const definitions = createMemo<readonly TemplateDefinition[]>(() =>
    (templates.state === 'ready' ? templates() : []).flatMap((t) => (t.definition ? [t.definition] : [])),
  );

  /** Shows a refusal; a lock the page did not know of is read again from the conversation view. */
  function refused(err: unknown) {
    setError(withNames(errorText(err)));
    if (err instanceof ApiError && err.code === 'PARLO_CONVERSATION_LOCKED') void store.refreshOpen();
  }

  async function run(action: ControlAction, body?: unknown) {
    setBusy(true);
    setError(null);
    try {
      await store.control(action, body);
    } catch (err) {
      refused(err);
    } finally {
      setBusy(false);
    }
  }

  async function send(content: SendBody['content'], category?: SendBody['category']): Promise<boolean> {
    setError(null);
    try {
      await store.send(content, category);
      return true;
    } catch (err) {
      refused(err);
      return false;
    }
  }

  // Focus moves to the conversation's heading when another conversation opens (screen readers announce it).
  let heading: HTMLHeadingElement | undefined;
  createEffect(
    on(
      () => open()?.id,
      () => {
        setError(null);
        queueMicrotask(() => {
          if (document.activeElement === document.body || document.activeElement === null) heading?.focus();
        });
      },
    ),
  );

  return (
    <section class="conversation-view" aria-labelledby="conversation-title">
      <Show when={open()} fallback={<p class="empty view-empty">{i18n.t('view.none')}</p>}>
        {(current) => (
          <>
            <header class="view-header">
              <button type="button" class="back" onClick={() => inbox.back()} aria-label={i18n.t('view.back')}>
                ←
              </button>
              <div class="who">
                <h2 id="conversation-title" tabindex="-1" ref={heading}>
                  {view() ? customerName(view()!) : current().id}
                </h2>
                <Show when={view()?.customer.phone}>
                  {(phone) => <p class="phone">+{phone().replace(/^\+/, '')}</p>}
                </Show>
              </div>
              <div class="view-status">
                <Show when={status()}>
                  {(s) => (
                    <span class={`chip status-${s()}`}>
                      {s() === 'snoozed' && controls().snoozedUntil
                        ? i18n.t('status.snoozedUntil', { time: i18n.formatTime(controls().snoozedUntil as string) })
                        : i18n.t(`status.${s()}`)}
                    </span>
                  )}
                </Show>
                <span class="chip assignee">
                  {assignee() === null
                    ? i18n.t('assignee.nobody')
                    : i18n.t('assignee.label', { name: nameOf(assignee() as string) })}
                  <Show when={assignee() !== null && store.presenceOf(assignee() as string)}>
                    {(presence) => <PresenceDot presence={presence()} />}
                  </Show>
                </span>
              </div>
            </header>

            <Show when={canReply(user.role)}>
              <div class="controls" role="toolbar" aria-label={i18n.t('controls.title')}>
                <Show when={!isMine() && !heldByOther()}>
                  <button type="button" disabled={isBusy()} onClick={() => void run('claim')}>
                    {i18n.t('controls.claim')}
                  </button>
                </Show>
                <Show when={isMine()}>
                  <button type="button" disabled={isBusy()} onClick={() => void run('release')}>
                    {i18n.t('controls.release')}
                  </button>
                </Show>
                <label class="inline">
                  <span>{i18n.t('controls.assign')}</span>
                  <select
                    value={assignee() ?? ''}
                    disabled={isBusy()}
                    onChange={(e) => {
                      const value = e.currentTarget.value;
                      void run('assign', { assignee: value === '' ? null : value });
                    }}
                  >
                    <option value="">{i18n.t('controls.nobody')}</option>
                    <For each={store.state.members.filter((m) => m.status === 'active' && m.role !== 'viewer')}>
                      {(m) => <option value={m.userId}>{nameOf(m.userId)}</option>}
                    </For>
                  </select>
                </label>
                <Show
                  when={status() === 'resolved' || status() === 'snoozed'}
                  fallback={
                    <button
                      type="button"
                      disabled={isBusy()}
                      onClick={() => void run('status', { status: 'resolved' })}
                    >
                      {i18n.t('controls.resolve')}
                    </button>
                  }
                >
                  <button type="button" disabled={isBusy()} onClick={() => void run('status', { status: 'open' })}>
                    {i18n.t('controls.reopen')}
                  </button>
                </Show>
                <label class="inline">
                  <span>{i18n.t('controls.snooze')}</span>
                  <select
                    value=""
                    disabled={isBusy()}
                    onChange={(e) => {
                      const until = snoozeUntil(e.currentTarget.value, Date.now());
                      e.currentTarget.value = '';
                      if (until !== null) void run('status', { status: 'snoozed', snoozeUntil: until });
                    }}
                  >
                    <option value="">{i18n.t('controls.snoozeFor')}</option>
                    <option value="1h">{i18n.t('controls.snooze1h')}</option>
                    <option value="4h">{i18n.t('controls.snooze4h')}</option>
                    <option value="tomorrow">{i18n.t('controls.snoozeTomorrow')}</option>
                    <option value="week">{i18n.t('controls.snoozeWeek')}</option>
                  </select>
                </label>
              </div>
            </Show>

            <div class="lock-banner-region" role="status">
              <Show when={heldByOther()}>
                {(lock) => (
                  <p class="lock-banner">
                    <span>
                      {i18n.t('lock.heldBy', { name: nameOf(lock().holder) })}{' '}
                      <span class="muted">{i18n.t('lock.until', { time: i18n.formatTime(lock().expiresAt) })}</span>
                    </span>
                    <Show when={canTakeOver(user.role)}>
                      <button type="button" disabled={isBusy()} onClick={() => void run('takeover')}>
                        {i18n.t('controls.takeOver')}
                      </button>
                    </Show>
                  </p>
                )}
              </Show>
              <Show when={isMine()}>
                <p class="lock-banner mine">{i18n.t('lock.mine')}</p>
              </Show>
            </div>

            <ErrorNotice message={error() ?? current().error} onDismiss={() => setError(null)} />

            <Show when={!current().isLoading} fallback={<p role="status">{i18n.t('view.loading')}</p>}>
              <div class="messages-scroll">
                <Show when={current().nextCursor !== null}>
                  <button
                    type="button"
                    class="load-older"
                    disabled={current().isLoadingOlder}
                    onClick={() => void store.loadOlder()}
                  >
                    {i18n.t('view.loadOlder')}
                  </button>
                </Show>
                <Show when={current().messages.length > 0} fallback={<p class="empty">{i18n.t('view.noMessages')}</p>}>
                  <ol class="messages" aria-label={i18n.t('view.messages')}>
                    <For each={current().messages}>
                      {(message) => <MessageBubble message={message} api={store.api} templates={definitions()} />}
                    </For>
                  </ol>
                </Show>
              </div>

              <p class="typing-indicator" aria-live="polite">
                {typingText()}
              </p>

              <div class="window-state" aria-label={i18n.t('window.label')}>
                <Show when={canSendFreeForm()} fallback={<p class="window-closed">{i18n.t('window.closed')}</p>}>
                  <Show when={remainingMs()}>
                    {(ms) => (
                      <p class="window-open">{i18n.t('window.closesIn', { time: i18n.formatDuration(ms()) })}</p>
                    )}
                  </Show>
                </Show>
              </div>

              <Show
                when={canSendFreeForm()}
                fallback={
                  <TemplatePicker
                    api={store.api}
                    templates={templates.state === 'ready' ? templates() : undefined}
                    isLoading={templates.loading}
                    loadError={templates.error ? errorText(templates.error) : null}
                    wabaId={wabaId()}
                    disabledReason={disabledReason()}
                    onSend={(content, category) => send(content, category)}
                    onError={(message) => setError(withNames(message))}
                  />
                }
              >
                <Composer
                  conversationId={current().id}
                  disabledReason={disabledReason()}
                  onSend={(text) => send({ type: 'text', text: { body: text } })}
                  onTyping={() => inbox.notifyTyping(current().id)}
                  onError={(message) => setError(withNames(message))}
                />
              </Show>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
