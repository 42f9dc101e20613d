import { For, Show, createSignal, onMount } from 'solid-js';
import { ErrorNotice, errorText } from '../components/error-notice.tsx';
import { QuickReplyForm } from '../components/quick-reply-form.tsx';
import { useI18n } from '../i18n/i18n.ts';
import { canManageInbox, canReply } from '../lib/people.ts';
import type { QuickReply, QuickReplyDraft, QuickReplyPatch, QuickReplyScope } from '../lib/wire.ts';
import { useInbox } from '../stores/inbox-context.ts';

/**
 * `/settings/quick-replies`: the organisation's shared quick replies and the user's own, with a form to create,
 * edit and delete them. Managers and up choose the scope of a new one and change the shared ones; other roles
 * create personal ones only (the API has the last word either way).
 */
export function QuickRepliesPage() {
  const i18n = useI18n();
  const inbox = useInbox();
  const { quickReplies, user } = inbox;
  const [editing, setEditing] = createSignal<QuickReply | 'new' | null>(null);
  const [confirming, setConfirming] = createSignal<string | null>(null);
  const [busyId, setBusyId] = createSignal<string | null>(null);
  const [notice, setNotice] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  let heading: HTMLHeadingElement | undefined;

  const canCreate = () => canReply(user.role);
  const canManageShared = () => canManageInbox(user.role);
  const canChange = (item: QuickReply) => (item.scope === 'shared' ? canManageShared() : canCreate());
  const itemsOf = (scope: QuickReplyScope) => quickReplies.state.items.filter((item) => item.scope === scope);

  onMount(() => {
    heading?.focus();
    // Fresh on each visit: a manager may have changed the shared ones since the session's first load.
    void quickReplies.reload();
  });

  /** After the form or a deletion: focus back on the page (the control that had it is gone). */
  function refocus() {
    queueMicrotask(() => (document.getElementById('qr-new') ?? heading)?.focus());
  }

  function startEditing(target: QuickReply | 'new') {
    setNotice('');
    setError(null);
    setConfirming(null);
    setEditing(target);
    queueMicrotask(() => document.querySelector('.quick-reply-form')?.scrollIntoView?.({ block: 'nearest' }));
  }

  async function save(values: QuickReplyDraft): Promise<void> {
    const current = editing();
    if (current === null) return;
    if (current === 'new') {
      const created = await quickReplies.create(values);
      setNotice(i18n.t('qr.created', { shortcut: created.shortcut }));
    } else {
      const patch: QuickReplyPatch = {
        ...(values.shortcut === current.shortcut ? {} : { shortcut: values.shortcut }),
        ...(values.title === current.title ? {} : { title: values.title }),
        ...(values.text === current.text ? {} : { text: values.text }),
      };
      const updated = Object.keys(patch).length === 0 ? current : await quickReplies.update(current.id, patch);
      setNotice(i18n.t('qr.saved', { shortcut: updated.shortcut }));
    }
    setEditing(null);
    refocus();
  }

  async function remove(item: QuickReply) {
    setBusyId(item.id);
    setError(null);
    try {
      await quickReplies.remove(item.id);
      setConfirming(null);
      setNotice(i18n.t('qr.deleted', { shortcut: item.shortcut }));
      const edited = editing();
      if (edited !== null && edited !== 'new' && edited.id === item.id) setEditing(null);
      refocus();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusyId(null);
    }
  }

  const Item = (p: { readonly item: QuickReply }) => (
    <li class="qr-item">
      <div class="qr-head">
        <span class="qr-shortcut">/{p.item.shortcut}</span>
        <span class="qr-title">{p.item.title}</span>
        <Show when={p.item.shadowed}>
          <span class="chip">{i18n.t('qr.shadowed', { shortcut: p.item.shortcut })}</span>
        </Show>
      </div>
      <p class="qr-text">{p.item.text}</p>
      <Show when={p.item.variables.length > 0}>
        <p class="qr-variables">
          {i18n.t('qr.variables', { names: p.item.variables.map((v) => `{{${v}}}`).join(', ') })}
        </p>
      </Show>
      <Show when={canChange(p.item)}>
        <Show
          when={confirming() === p.item.id}
          fallback={
            <div class="actions">
              <button
                type="button"
                aria-label={i18n.t('qr.editLabel', { shortcut: p.item.shortcut })}
                onClick={() => startEditing(p.item)}
              >
                {i18n.t('qr.edit')}
              </button>
              <button
                type="button"
                aria-label={i18n.t('qr.deleteLabel', { shortcut: p.item.shortcut })}
                onClick={() => {
                  setConfirming(p.item.id);
                  queueMicrotask(() => document.getElementById(`qr-confirm-${p.item.id}`)?.focus());
                }}
              >
                {i18n.t('qr.delete')}
              </button>
            </div>
          }
        >
          <div class="qr-confirm" role="group" aria-labelledby={`qr-confirm-text-${p.item.id}`}>
            <p id={`qr-confirm-text-${p.item.id}`}>{i18n.t('qr.confirmDelete', { shortcut: p.item.shortcut })}</p>
            <div class="actions">
              <button type="button" onClick={() => setConfirming(null)}>
                {i18n.t('qr.cancel')}
              </button>
              <button
                type="button"
                id={`qr-confirm-${p.item.id}`}
                class="danger"
                disabled={busyId() === p.item.id}
                onClick={() => void remove(p.item)}
              >
                {i18n.t('qr.confirm')}
              </button>
            </div>
          </div>
        </Show>
      </Show>
    </li>
  );

  const Section = (p: { readonly scope: QuickReplyScope }) => (
    <section class="qr-section" aria-labelledby={`qr-${p.scope}-title`}>
      <h3 id={`qr-${p.scope}-title`}>{p.scope === 'shared' ? i18n.t('qr.shared') : i18n.t('qr.personal')}</h3>
      <Show
        when={itemsOf(p.scope).length > 0}
        fallback={<p class="empty">{p.scope === 'shared' ? i18n.t('qr.sharedEmpty') : i18n.t('qr.personalEmpty')}</p>}
      >
        <ul class="qr-list">
          <For each={itemsOf(p.scope)}>{(item) => <Item item={item} />}</For>
        </ul>
      </Show>
    </section>
  );

  return (
    <section class="settings" aria-labelledby="settings-title">
      <div class="settings-inner">
        <a
          class="back-link"
          href="/"
          onClick={(e) => {
            if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
            e.preventDefault();
            inbox.back();
          }}
        >
          <span aria-hidden="true">←</span> {i18n.t('app.backToInbox')}
        </a>
        <h2 id="settings-title" tabindex="-1" ref={heading}>
          {i18n.t('qr.title')}
        </h2>
        <p class="muted">{i18n.t('qr.intro')}</p>
        <Show when={canCreate()} fallback={<p class="notice">{i18n.t('qr.readOnly')}</p>}>
          <Show when={editing() === null}>
            <button type="button" id="qr-new" class="primary" onClick={() => startEditing('new')}>
              {i18n.t('qr.new')}
            </button>
          </Show>
        </Show>
        <p class="qr-notice" role="status">
          {notice()}
        </p>
        <ErrorNotice message={error()} onDismiss={() => setError(null)} />
        <Show when={editing()} keyed>
          {(target) => (
            <QuickReplyForm
              initial={target === 'new' ? null : target}
              canChooseScope={canManageShared()}
              onSubmit={save}
              onCancel={() => {
                setEditing(null);
                refocus();
              }}
            />
          )}
        </Show>
        <Show when={quickReplies.state.status === 'loading'}>
          <p role="status">{i18n.t('quickReplies.loading')}</p>
        </Show>
        <Show when={quickReplies.state.error}>
          {(message) => (
            <p class="form-error" role="alert">
              {i18n.t('quickReplies.loadFailed', { message: message() })}
            </p>
          )}
        </Show>
        <Show when={quickReplies.state.status === 'ready'}>
          <Section scope="shared" />
          <Section scope="personal" />
        </Show>
      </div>
    </section>
  );
}
