import { For, Show, onMount } from 'solid-js';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/i18n.ts';

/** The keyboard shortcuts (handled by the inbox page), as the help dialog lists them. */
export const SHORTCUTS: readonly { readonly keys: readonly string[]; readonly key: MessageKey }[] = [
  { keys: ['j'], key: 'help.next' },
  { keys: ['k'], key: 'help.previous' },
  { keys: ['r'], key: 'help.reply' },
  { keys: ['/'], key: 'help.search' },
  { keys: ['Esc'], key: 'help.back' },
  { keys: ['Ctrl', 'Enter'], key: 'help.send' },
  { keys: ['/'], key: 'help.quickReplies' },
  { keys: ['?'], key: 'help.help' },
];

export function HelpDialog(props: { readonly isOpen: boolean; readonly onClose: () => void }) {
  const i18n = useI18n();
  return (
    <Show when={props.isOpen}>
      <div class="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
        <HelpContent onClose={props.onClose} title={i18n.t('help.title')} />
      </div>
    </Show>
  );
}

function HelpContent(props: { readonly onClose: () => void; readonly title: string }) {
  const i18n = useI18n();
  let closeButton: HTMLButtonElement | undefined;
  const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  onMount(() => closeButton?.focus());
  const close = () => {
    props.onClose();
    previous?.focus();
  };
  return (
    <div
      class="dialog"
      role="dialog"
      aria-modal="true"
      aria-labelledby="help-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          close();
        }
        // Focus stays inside the dialog: it has one control.
        if (e.key === 'Tab') {
          e.preventDefault();
          closeButton?.focus();
        }
      }}
    >
      <h2 id="help-title">{props.title}</h2>
      <dl class="shortcuts">
        <For each={SHORTCUTS}>
          {(s) => (
            <div class="shortcut">
              <dt>
                <For each={s.keys}>{(k) => <kbd>{k}</kbd>}</For>
              </dt>
              <dd>{i18n.t(s.key)}</dd>
            </div>
          )}
        </For>
      </dl>
      <button type="button" ref={closeButton} onClick={close}>
        {i18n.t('help.close')}
      </button>
    </div>
  );
}
