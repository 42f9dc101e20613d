import { Show, createSignal, onMount } from 'solid-js';
import { createStore } from 'solid-js/store';
import { useI18n } from '../i18n/i18n.ts';
import { fieldOfError, type QuickReplyField } from '../lib/quick-replies.ts';
import type { QuickReply, QuickReplyDraft, QuickReplyScope } from '../lib/wire.ts';
import { errorText } from './error-notice.tsx';

type FieldErrors = Partial<Record<QuickReplyField, string>>;
type Values = { -readonly [K in keyof QuickReplyDraft]: QuickReplyDraft[K] };

const FIELD_IDS: Readonly<Record<QuickReplyField, string>> = {
  scope: 'qr-scope-personal',
  shortcut: 'qr-shortcut',
  title: 'qr-title',
  text: 'qr-text',
};

/**
 * Creates or edits one quick reply. The API checks everything (shortcut syntax and uniqueness, known variables,
 * who may share); its refusal is shown next to the field it names, in its words, and that field takes the focus.
 * Only empty fields are caught here. The scope is chosen on creation, by managers and up only (others create
 * personal ones); it cannot be changed afterwards.
 */
export function QuickReplyForm(props: {
  /** The reply being edited, or null for a new one. */
  readonly initial: QuickReply | null;
  readonly canChooseScope: boolean;
  /** Saves; throws the API's refusal. */
  readonly onSubmit: (values: QuickReplyDraft) => Promise<void>;
  readonly onCancel: () => void;
}) {
  const i18n = useI18n();
  const isNew = props.initial === null;
  const [values, setValues] = createStore<Values>({
    scope: props.initial?.scope ?? 'personal',
    shortcut: props.initial?.shortcut ?? '',
    title: props.initial?.title ?? '',
    text: props.initial?.text ?? '',
  });
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [formError, setFormError] = createSignal<string | null>(null);
  const [isSaving, setSaving] = createSignal(false);
  const showsScope = () => isNew && props.canChooseScope;

  onMount(() => document.getElementById(showsScope() ? FIELD_IDS.scope : FIELD_IDS.shortcut)?.focus());

  function focusField(field: QuickReplyField) {
    const id = field === 'scope' && values.scope === 'shared' ? 'qr-scope-shared' : FIELD_IDS[field];
    queueMicrotask(() => document.getElementById(id)?.focus());
  }

  async function submit() {
    if (isSaving()) return;
    // A leading "/" is how the shortcut is typed in a reply, not part of it.
    const draft: QuickReplyDraft = {
      scope: isNew && props.canChooseScope ? values.scope : (props.initial?.scope ?? 'personal'),
      shortcut: values.shortcut.trim().replace(/^\/+/, ''),
      title: values.title.trim(),
      text: values.text,
    };
    const empty: FieldErrors = {
      ...(draft.shortcut === '' ? { shortcut: i18n.t('qr.shortcutMissing') } : {}),
      ...(draft.title === '' ? { title: i18n.t('qr.titleMissing') } : {}),
      ...(draft.text.trim() === '' ? { text: i18n.t('qr.textMissing') } : {}),
    };
    setFormError(null);
    setErrors(empty);
    const first = (['shortcut', 'title', 'text'] as const).find((f) => empty[f] !== undefined);
    if (first !== undefined) {
      focusField(first);
      return;
    }
    setSaving(true);
    try {
      await props.onSubmit(draft);
    } catch (err) {
      const field = fieldOfError(err);
      if (field !== null && (field !== 'scope' || showsScope())) {
        setErrors({ [field]: errorText(err) });
        focusField(field);
      } else {
        setFormError(errorText(err));
      }
    } finally {
      setSaving(false);
    }
  }

  const isInvalid = (field: QuickReplyField) => errors()[field] !== undefined;
  /** A field's description: its hint, then its error. */
  const describedBy = (field: QuickReplyField, hintId?: string) => {
    const ids = [hintId, isInvalid(field) ? `${FIELD_IDS[field]}-error` : undefined].filter(Boolean);
    return ids.length === 0 ? undefined : ids.join(' ');
  };

  const FieldError = (p: { readonly field: QuickReplyField }) => (
    <Show when={errors()[p.field]}>
      {(message) => (
        <p id={`${FIELD_IDS[p.field]}-error`} class="field-error">
          {message()}
        </p>
      )}
    </Show>
  );

  return (
    <form
      class="quick-reply-form"
      aria-labelledby="qr-form-title"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3 id="qr-form-title">
        {props.initial === null ? i18n.t('qr.formNew') : i18n.t('qr.formEdit', { shortcut: props.initial.shortcut })}
      </h3>
      <Show when={showsScope()}>
        <fieldset class="field scope-choice" aria-describedby={errors().scope ? 'qr-scope-personal-error' : undefined}>
          <legend>{i18n.t('qr.scope')}</legend>
          <label class="checkbox">
            <input
              type="radio"
              id="qr-scope-personal"
              name="qr-scope"
              value="personal"
              checked={values.scope === 'personal'}
              onChange={() => setValues('scope', 'personal' satisfies QuickReplyScope)}
            />
            {i18n.t('qr.scopePersonal')}
          </label>
          <label class="checkbox">
            <input
              type="radio"
              id="qr-scope-shared"
              name="qr-scope"
              value="shared"
              checked={values.scope === 'shared'}
              onChange={() => setValues('scope', 'shared' satisfies QuickReplyScope)}
            />
            {i18n.t('qr.scopeShared')}
          </label>
          <FieldError field="scope" />
        </fieldset>
      </Show>
      <div class="field">
        <label for="qr-shortcut">{i18n.t('qr.shortcut')}</label>
        <span class="shortcut-input">
          <span aria-hidden="true">/</span>
          <input
            id="qr-shortcut"
            value={values.shortcut}
            maxLength={64}
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
            aria-required="true"
            aria-invalid={isInvalid('shortcut')}
            aria-describedby={describedBy('shortcut', 'qr-shortcut-hint')}
            onInput={(e) => setValues('shortcut', e.currentTarget.value)}
          />
        </span>
        <p id="qr-shortcut-hint" class="field-hint">
          {i18n.t('qr.shortcutHint')}
        </p>
        <FieldError field="shortcut" />
      </div>
      <div class="field">
        <label for="qr-title">{i18n.t('qr.titleField')}</label>
        <input
          id="qr-title"
          value={values.title}
          maxLength={200}
          aria-required="true"
          aria-invalid={isInvalid('title')}
          aria-describedby={describedBy('title')}
          onInput={(e) => setValues('title', e.currentTarget.value)}
        />
        <FieldError field="title" />
      </div>
      <div class="field">
        <label for="qr-text">{i18n.t('qr.text')}</label>
        <textarea
          id="qr-text"
          rows={5}
          maxLength={4096}
          value={values.text}
          aria-required="true"
          aria-invalid={isInvalid('text')}
          aria-describedby={describedBy('text', 'qr-text-hint')}
          onInput={(e) => setValues('text', e.currentTarget.value)}
        />
        <p id="qr-text-hint" class="field-hint">
          {i18n.t('qr.textHint')}
        </p>
        <FieldError field="text" />
      </div>
      <Show when={formError()}>
        {(message) => (
          <p class="form-error" role="alert">
            {message()}
          </p>
        )}
      </Show>
      <div class="actions">
        <button type="button" onClick={() => props.onCancel()}>
          {i18n.t('qr.cancel')}
        </button>
        <button type="submit" class="primary" disabled={isSaving()}>
          {isSaving() ? i18n.t('qr.saving') : isNew ? i18n.t('qr.create') : i18n.t('qr.save')}
        </button>
      </div>
    </form>
  );
}
