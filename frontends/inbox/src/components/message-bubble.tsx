import { For, Match, Show, Switch } from 'solid-js';
import { useI18n } from '../i18n/i18n.ts';
import type { ApiClient } from '../lib/api.ts';
import {
  TICK_GLYPHS,
  innerContent,
  interactiveBody,
  interactiveChoices,
  interactiveTitle,
  isRecord,
  str,
  templateParameters,
  textOf,
  tickOf,
} from '../lib/messages.ts';
import { filledBody } from '../lib/templates.ts';
import type { Message, TemplateDefinition } from '../lib/wire.ts';
import { MediaPreview } from './media-preview.tsx';

/**
 * One message: the customer's on the left, the business's on the right with its status ticks (a failed send says
 * why, in Meta's or Parlo's words). Texts, media, interactive messages and replies, templates (filled with the
 * values sent when the template is known), locations, contacts and reactions read as such.
 */
export function MessageBubble(props: {
  readonly message: Message;
  readonly api: ApiClient;
  readonly templates: readonly TemplateDefinition[];
}) {
  const i18n = useI18n();
  const m = () => props.message;
  const inner = () => innerContent(m().type, m().content);
  const record = () => {
    const value = inner();
    return isRecord(value) ? value : {};
  };
  const tick = () => tickOf(m());
  const tickLabel = () => {
    const t = tick();
    if (t === null) return '';
    if (t !== 'failed') return i18n.t(`tick.${t}`);
    return i18n.t('tick.failed', { reason: m().error?.detail ?? String(m().error?.code ?? '?') });
  };

  const templateText = () => {
    const name = str(record()['name']);
    const language = record()['language'];
    const code = isRecord(language) ? str(language['code']) : null;
    const definition = props.templates.find((t) => t.name === name && (code === null || t.language === code));
    return definition ? filledBody(definition, templateParameters(record(), 'body')) : null;
  };

  return (
    <li
      class="bubble"
      classList={{ in: m().direction === 'in', out: m().direction === 'out', failed: tick() === 'failed' }}
      data-message-id={m().id}
    >
      <span class="visually-hidden">{i18n.t(m().direction === 'in' ? 'message.in' : 'message.out')}</span>
      <Switch fallback={<p class="unsupported">{i18n.t('message.unsupported', { type: m().type })}</p>}>
        <Match when={m().type === 'text'}>
          <p class="text">{textOf(m())}</p>
        </Match>
        <Match when={m().media}>
          {(media) => <MediaPreview api={props.api} type={m().type} media={media()} caption={textOf(m())} />}
        </Match>
        <Match when={['image', 'video', 'audio', 'document', 'sticker'].includes(m().type)}>
          <p class="text">
            {str(record()['caption']) ?? str(record()['link']) ?? i18n.t(`preview.${m().type as 'image'}`)}
          </p>
        </Match>
        <Match when={m().type === 'button'}>
          <p class="text">{i18n.t('message.reply', { title: str(record()['text']) ?? '' })}</p>
        </Match>
        <Match when={m().type === 'interactive' && interactiveTitle(record())}>
          {(title) => <p class="text">{i18n.t('message.reply', { title: title() })}</p>}
        </Match>
        <Match when={m().type === 'interactive'}>
          <p class="text">{interactiveBody(record())}</p>
          <Show when={interactiveChoices(record()).length > 0}>
            <ul class="choices" aria-label={i18n.t('message.buttons')}>
              <For each={interactiveChoices(record())}>{(choice) => <li>{choice}</li>}</For>
            </ul>
          </Show>
        </Match>
        <Match when={m().type === 'template'}>
          <p class="template-name">{i18n.t('message.template', { name: str(record()['name']) ?? '?' })}</p>
          <Show
            when={templateText()}
            fallback={
              <Show when={templateParameters(record()).length > 0}>
                <p class="text">{templateParameters(record()).join(' · ')}</p>
              </Show>
            }
          >
            {(text) => <p class="text">{text()}</p>}
          </Show>
        </Match>
        <Match when={m().type === 'location'}>
          <p class="text">
            {i18n.t('message.location', {
              place:
                str(record()['name']) ??
                str(record()['address']) ??
                `${String(record()['latitude'])}, ${String(record()['longitude'])}`,
            })}
          </p>
        </Match>
        <Match when={m().type === 'reaction'}>
          <p class="text">{i18n.t('message.reaction', { emoji: str(record()['emoji']) ?? '' })}</p>
        </Match>
        <Match when={m().type === 'contacts' && Array.isArray(inner())}>
          <For each={inner() as unknown[]}>
            {(contact) => {
              const name = isRecord(contact) && isRecord(contact['name']) ? contact['name'] : {};
              return (
                <p class="text">
                  {i18n.t('message.contact', { name: str(name['formatted_name']) ?? str(name['first_name']) ?? '?' })}
                </p>
              );
            }}
          </For>
        </Match>
      </Switch>
      <span class="bubble-meta">
        <time dateTime={m().at}>{i18n.formatTime(m().at)}</time>
        <Show when={tick()}>
          {(t) => (
            <span class={`tick tick-${t()}`} role="img" aria-label={tickLabel()} title={tickLabel()}>
              {TICK_GLYPHS[t()]}
            </span>
          )}
        </Show>
      </span>
      <Show when={tick() === 'failed'}>
        <p class="failure">{tickLabel()}</p>
      </Show>
    </li>
  );
}
