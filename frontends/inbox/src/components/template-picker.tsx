import { For, Show, createMemo, createSignal } from 'solid-js';
import { createStore } from 'solid-js/store';
import { useI18n } from '../i18n/i18n.ts';
import type { ApiClient } from '../lib/api.ts';
import { isComplete, templateContent, templateVariables } from '../lib/templates.ts';
import type { Template, TemplateContent, TemplatePreview, TemplateValues } from '../lib/wire.ts';
import { REPLY_INPUT_ID } from './composer.tsx';

type Category = 'marketing' | 'utility' | 'authentication';

/**
 * Outside the 24 h window only a template may be sent: pick an approved template, fill its variables, preview it
 * as the customer will read it (`POST /v1/templates/{id}/preview`) and send it.
 */
export function TemplatePicker(props: {
  readonly api: ApiClient;
  readonly templates: readonly Template[] | undefined;
  readonly isLoading: boolean;
  readonly loadError: string | null;
  readonly wabaId: string | undefined;
  readonly disabledReason: string | null;
  readonly onSend: (content: TemplateContent, category: Category) => Promise<boolean>;
  readonly onError: (message: string) => void;
}) {
  const i18n = useI18n();
  const [selectedId, setSelectedId] = createSignal('');
  const [values, setValues] = createStore<{
    header: Record<string, string>;
    body: Record<string, string>;
    buttons: Record<string, Record<string, string>>;
  }>({
    header: {},
    body: {},
    buttons: {},
  });
  const [mediaLink, setMediaLink] = createSignal('');
  const [preview, setPreview] = createSignal<TemplatePreview | null>(null);
  const [isSending, setSending] = createSignal(false);

  const usable = () => (props.templates ?? []).filter((t) => t.definition !== null);
  const selected = createMemo(() => usable().find((t) => t.id === selectedId()) ?? null);
  const variables = createMemo(() => {
    const definition = selected()?.definition;
    return definition ? templateVariables(definition) : null;
  });
  const currentValues = (): TemplateValues => ({ header: values.header, body: values.body, buttons: values.buttons });
  const isReady = () => {
    const v = variables();
    return v !== null && isComplete(v, currentValues(), mediaLink());
  };

  function choose(id: string) {
    setSelectedId(id);
    setValues({ header: {}, body: {}, buttons: {} });
    setMediaLink('');
    setPreview(null);
  }

  async function showPreview() {
    const template = selected();
    if (!template) return;
    try {
      setPreview(await props.api.previewTemplate(template.id, currentValues(), props.wabaId));
    } catch (err) {
      props.onError(err instanceof Error ? err.message : String(err));
    }
  }

  async function send() {
    const template = selected();
    if (!template?.definition || !isReady()) return;
    setSending(true);
    try {
      const content = templateContent(template.definition, currentValues(), mediaLink());
      if (await props.onSend(content, template.category.toLowerCase() as Category)) choose('');
    } finally {
      setSending(false);
    }
  }

  return (
    <form
      class="template-picker"
      aria-labelledby="template-picker-title"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <h3 id="template-picker-title">{i18n.t('template.title')}</h3>
      <Show when={props.loadError}>{(message) => <p class="form-error">{message()}</p>}</Show>
      <Show when={!props.isLoading} fallback={<p role="status">{i18n.t('template.loading')}</p>}>
        <Show when={usable().length > 0} fallback={<p class="empty">{i18n.t('template.none')}</p>}>
          <label for={REPLY_INPUT_ID}>{i18n.t('template.choose')}</label>
          <select
            id={REPLY_INPUT_ID}
            value={selectedId()}
            disabled={props.disabledReason !== null}
            onChange={(e) => choose(e.currentTarget.value)}
          >
            <option value="">{i18n.t('template.placeholder')}</option>
            <For each={usable()}>
              {(t) => (
                <option value={t.id}>
                  {t.name} ({t.language})
                </option>
              )}
            </For>
          </select>
        </Show>
      </Show>
      <Show when={variables()}>
        {(v) => (
          <div class="template-fields">
            <Show when={v().headerMedia}>
              {(format) => (
                <div class="field">
                  <label for="template-header-media">
                    {i18n.t('template.headerMedia', { format: format().toLowerCase() })}
                  </label>
                  <input
                    id="template-header-media"
                    type="url"
                    value={mediaLink()}
                    onInput={(e) => setMediaLink(e.currentTarget.value)}
                  />
                </div>
              )}
            </Show>
            <For each={v().header}>
              {(name) => (
                <div class="field">
                  <label for={`template-header-${name}`}>{i18n.t('template.headerVariable', { name })}</label>
                  <input
                    id={`template-header-${name}`}
                    value={values.header[name] ?? ''}
                    onInput={(e) => setValues('header', name, e.currentTarget.value)}
                  />
                </div>
              )}
            </For>
            <For each={v().body}>
              {(name) => (
                <div class="field">
                  <label for={`template-body-${name}`}>{i18n.t('template.variable', { name })}</label>
                  <input
                    id={`template-body-${name}`}
                    value={values.body[name] ?? ''}
                    onInput={(e) => setValues('body', name, e.currentTarget.value)}
                  />
                </div>
              )}
            </For>
            <For each={v().buttons}>
              {(button) => (
                <For each={button.variables}>
                  {(name) => (
                    <div class="field">
                      <label for={`template-button-${button.index}-${name}`}>
                        {i18n.t('template.buttonVariable', { index: button.index + 1, name })}
                      </label>
                      <input
                        id={`template-button-${button.index}-${name}`}
                        value={values.buttons[String(button.index)]?.[name] ?? ''}
                        onInput={(e) => {
                          const value = e.currentTarget.value;
                          setValues('buttons', String(button.index), (b) => ({ ...b, [name]: value }));
                        }}
                      />
                    </div>
                  )}
                </For>
              )}
            </For>
            <Show when={preview()}>
              {(p) => (
                <div class="template-preview" aria-live="polite">
                  <Show when={p().header?.text}>{(h) => <p class="preview-header">{h()}</p>}</Show>
                  <p>{p().body}</p>
                  <Show when={p().footer}>{(f) => <p class="preview-footer">{f()}</p>}</Show>
                  <Show when={p().buttons.length > 0}>
                    <ul class="choices">
                      <For each={p().buttons}>{(b) => <li>{b.text}</li>}</For>
                    </ul>
                  </Show>
                </div>
              )}
            </Show>
            <div class="actions">
              <button type="button" onClick={() => void showPreview()} disabled={!isReady()}>
                {i18n.t('template.preview')}
              </button>
              <button
                type="submit"
                class="primary"
                disabled={!isReady() || isSending() || props.disabledReason !== null}
              >
                {i18n.t('template.send')}
              </button>
            </div>
          </div>
        )}
      </Show>
      <p class="composer-disabled" hidden={props.disabledReason === null}>
        {props.disabledReason}
      </p>
    </form>
  );
}
