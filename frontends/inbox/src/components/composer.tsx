import { For, Show, createEffect, createMemo, createSignal, on } from 'solid-js';
import { useI18n } from '../i18n/i18n.ts';
import { matchQuickReplies, slashQueryOf } from '../lib/quick-replies.ts';
import type { QuickReply } from '../lib/wire.ts';
import { useInbox } from '../stores/inbox-context.ts';
import { errorText } from './error-notice.tsx';

export const REPLY_INPUT_ID = 'reply-input';
const LISTBOX_ID = 'quick-reply-listbox';
const STATUS_ID = 'quick-reply-status';

const optionId = (item: QuickReply) => `quick-reply-option-${item.id}`;

/** Where a picked quick reply goes: the whole `/…` text, or (opened by the button) the caret's place. */
type Target = { readonly kind: 'slash' } | { readonly kind: 'caret'; readonly start: number; readonly end: number };

/**
 * The free-form reply box (while the conversation's window allows it). `disabledReason` (another operator holds the
 * lock, the role cannot reply) disables it and says why; a refusal of the API is the caller's to show (`onError`).
 *
 * Quick replies: `/` at the start of the box (or the "Quick replies" button) opens a listbox of the user's quick
 * replies, filtered by what follows the slash (shortcut prefix, then title). The textarea is the combobox: focus
 * stays in it, ↑/↓ move the active option (aria-activedescendant), Enter or Tab picks, Escape closes. Picking asks
 * the API to fill the reply in for this conversation and puts the result in place of the `/…` text; variables the
 * contact has no value for are listed in a notice that does not block sending.
 *
 * Typing: every keystroke in a non-empty reply calls `onTyping` (throttled by the caller before it reaches the
 * gateway). The composer only ever writes replies; an internal-notes mode, if one is added, must not call it.
 */
export function Composer(props: {
  readonly conversationId: string;
  readonly disabledReason: string | null;
  readonly onSend: (text: string) => Promise<boolean>;
  readonly onTyping?: () => void;
  readonly onError?: (message: string) => void;
}) {
  const i18n = useI18n();
  const { quickReplies } = useInbox();
  const [text, setText] = createSignal('');
  const [isSending, setSending] = createSignal(false);
  const [isRendering, setRendering] = createSignal(false);
  const [caretTarget, setCaretTarget] = createSignal<Target | null>(null);
  const [isDismissed, setDismissed] = createSignal(false);
  const [active, setActive] = createSignal(0);
  const [missing, setMissing] = createSignal<readonly string[]>([]);
  const isDisabled = () => props.disabledReason !== null;
  let input: HTMLTextAreaElement | undefined;

  // ---- the picker
  const slashQuery = () => slashQueryOf(text());
  const target = (): Target | null => caretTarget() ?? (slashQuery() === null ? null : { kind: 'slash' });
  const query = () => (caretTarget() === null ? (slashQuery() ?? '') : '');
  const isOpen = () => !isDisabled() && !isRendering() && !isDismissed() && target() !== null;
  const matches = createMemo(() => (isOpen() ? matchQuickReplies(quickReplies.state.items, query()) : []));
  const activeItem = () => matches()[Math.min(active(), matches().length - 1)];
  const hasOptions = () => isOpen() && matches().length > 0;

  createEffect(on(query, () => setActive(0)));
  // The list is loaded once per session, the first time the picker opens (then filtered in memory).
  createEffect(
    on(isOpen, (open) => {
      if (open) void quickReplies.ensureLoaded();
    }),
  );
  // Another conversation: its own notice, no picker left open.
  createEffect(
    on(
      () => props.conversationId,
      () => {
        setMissing([]);
        setCaretTarget(null);
      },
      { defer: true },
    ),
  );

  const pickerStatus = () => {
    if (!isOpen()) return isRendering() ? i18n.t('quickReplies.rendering') : '';
    const { status, error } = quickReplies.state;
    if (status === 'failed') return i18n.t('quickReplies.loadFailed', { message: error ?? '' });
    if (status !== 'ready') return i18n.t('quickReplies.loading');
    const count = matches().length;
    if (count === 0) {
      return quickReplies.state.items.length === 0
        ? i18n.t('quickReplies.none')
        : i18n.t('quickReplies.noMatch', { query: query() });
    }
    return count === 1 ? i18n.t('quickReplies.availableOne') : i18n.t('quickReplies.available', { count });
  };

  function close() {
    setDismissed(true);
    setCaretTarget(null);
  }

  function move(delta: 1 | -1) {
    const count = matches().length;
    if (count === 0) return;
    const next = (Math.min(active(), count - 1) + delta + count) % count;
    setActive(next);
    const item = matches()[next];
    if (item) document.getElementById(optionId(item))?.scrollIntoView?.({ block: 'nearest' });
  }

  /** Opens the picker from the button: on an empty box as if `/` was typed, else to insert at the caret. */
  function openFromButton() {
    if (isDisabled()) return;
    setDismissed(false);
    if (text() === '') {
      setText('/');
      setCaretTarget(null);
    } else if (slashQuery() === null) {
      const start = input?.selectionStart ?? text().length;
      const end = input?.selectionEnd ?? start;
      setCaretTarget({ kind: 'caret', start, end });
    }
    input?.focus();
    if (text() === '/') input?.setSelectionRange(1, 1);
  }

  async function pick(item: QuickReply) {
    const where = target();
    if (where === null || isRendering()) return;
    const conversationId = props.conversationId;
    setRendering(true);
    setMissing([]);
    try {
      const rendered = await quickReplies.render(conversationId, item.id);
      if (conversationId !== props.conversationId) return;
      // The box is read-only while rendering, so the text is the one the pick replaces.
      const current = text();
      const [start, end] = where.kind === 'slash' ? [0, current.length] : [where.start, where.end];
      setText(current.slice(0, start) + rendered.text + current.slice(end));
      setMissing(rendered.missing);
      setCaretTarget(null);
      setDismissed(true);
      const caret = start + rendered.text.length;
      queueMicrotask(() => {
        input?.focus();
        input?.setSelectionRange(caret, caret);
      });
      if (text().trim() !== '') props.onTyping?.();
    } catch (err) {
      props.onError?.(errorText(err));
    } finally {
      setRendering(false);
    }
  }

  async function send() {
    const body = text().trim();
    if (body === '' || isSending() || isRendering() || isDisabled()) return;
    setSending(true);
    try {
      if (await props.onSend(body)) {
        setText('');
        setMissing([]);
      }
    } finally {
      setSending(false);
    }
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void send();
      return;
    }
    if (!isOpen()) return;
    const plain = !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey;
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowUp':
        if (!hasOptions() || e.altKey) return;
        e.preventDefault();
        move(e.key === 'ArrowDown' ? 1 : -1);
        return;
      case 'Enter':
      case 'Tab': {
        const item = activeItem();
        if (!plain || !item) return;
        e.preventDefault();
        void pick(item);
        return;
      }
      case 'Escape':
        // Handled here: the page's Escape (leave the box, close the conversation) must not run as well.
        e.preventDefault();
        close();
        return;
      default:
        return;
    }
  }

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label for={REPLY_INPUT_ID} class="visually-hidden">
        {i18n.t('composer.label')}
      </label>
      <div class="composer-input">
        <textarea
          id={REPLY_INPUT_ID}
          ref={input}
          rows={2}
          maxLength={4096}
          placeholder={i18n.t('composer.placeholder')}
          value={text()}
          disabled={isDisabled()}
          readOnly={isRendering()}
          role="combobox"
          aria-autocomplete="list"
          aria-haspopup="listbox"
          aria-expanded={hasOptions()}
          aria-controls={LISTBOX_ID}
          aria-activedescendant={hasOptions() && activeItem() ? optionId(activeItem() as QuickReply) : undefined}
          aria-busy={isRendering()}
          aria-describedby={isDisabled() ? 'composer-disabled' : STATUS_ID}
          onInput={(e) => {
            const value = e.currentTarget.value;
            setText(value);
            setDismissed(false);
            setCaretTarget(null);
            if (value.trim() !== '' && !isDisabled()) props.onTyping?.();
          }}
          onKeyDown={onKeyDown}
          onBlur={close}
        />
        <div class="quick-reply-popup" hidden={!isOpen()}>
          <ul id={LISTBOX_ID} role="listbox" aria-label={i18n.t('quickReplies.list')} hidden={!hasOptions()}>
            <For each={matches()}>
              {(item, index) => (
                <li
                  id={optionId(item)}
                  role="option"
                  class="quick-reply-option"
                  aria-selected={index() === Math.min(active(), matches().length - 1)}
                  // The focus stays in the textarea: a press on an option must not take it.
                  onMouseDown={(e) => e.preventDefault()}
                  onClick={() => void pick(item)}
                >
                  <span class="qr-head">
                    <span class="qr-shortcut">/{item.shortcut}</span>
                    <span class="qr-title">{item.title}</span>
                    <span class="chip">
                      {item.scope === 'shared' ? i18n.t('quickReplies.shared') : i18n.t('quickReplies.personal')}
                    </span>
                  </span>
                  <span class="qr-text">{item.text}</span>
                </li>
              )}
            </For>
          </ul>
        </div>
        <p id={STATUS_ID} class="quick-reply-status" classList={{ 'visually-hidden': hasOptions() }} role="status">
          {pickerStatus()}
        </p>
      </div>
      <button
        type="button"
        class="quick-replies-button"
        aria-haspopup="listbox"
        aria-controls={LISTBOX_ID}
        disabled={isDisabled() || isRendering()}
        onMouseDown={(e) => {
          // Keep the caret where it is, to insert the reply there.
          if (document.activeElement === input) e.preventDefault();
        }}
        onClick={openFromButton}
      >
        {i18n.t('composer.quickReplies')}
      </button>
      <button
        type="submit"
        class="primary"
        disabled={isDisabled() || isSending() || isRendering() || text().trim() === ''}
      >
        {isSending() ? i18n.t('composer.sending') : i18n.t('composer.send')}
      </button>
      <div class="composer-notice-region" role="status">
        <Show when={missing().length > 0}>
          <p class="composer-notice">
            <span>{i18n.t('quickReplies.missing', { fields: missing().join(', ') })}</span>
            <button type="button" class="link" onClick={() => setMissing([])}>
              {i18n.t('error.dismiss')}
            </button>
          </p>
        </Show>
      </div>
      <p id="composer-disabled" class="composer-disabled" hidden={!isDisabled()}>
        {props.disabledReason}
      </p>
    </form>
  );
}
