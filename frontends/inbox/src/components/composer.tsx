import { createSignal } from 'solid-js';
import { useI18n } from '../i18n/i18n.ts';

export const REPLY_INPUT_ID = 'reply-input';

/**
 * The free-form reply box (while the conversation's window allows it). `disabledReason` (another operator holds the
 * lock, the role cannot reply) disables it and says why; a refusal of the API is the caller's to show.
 */
export function Composer(props: {
  readonly disabledReason: string | null;
  readonly onSend: (text: string) => Promise<boolean>;
}) {
  const i18n = useI18n();
  const [text, setText] = createSignal('');
  const [isSending, setSending] = createSignal(false);
  const isDisabled = () => props.disabledReason !== null;

  async function send() {
    const body = text().trim();
    if (body === '' || isSending() || isDisabled()) return;
    setSending(true);
    try {
      if (await props.onSend(body)) setText('');
    } finally {
      setSending(false);
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
      <textarea
        id={REPLY_INPUT_ID}
        rows={2}
        maxLength={4096}
        placeholder={i18n.t('composer.placeholder')}
        value={text()}
        disabled={isDisabled()}
        aria-describedby={isDisabled() ? 'composer-disabled' : undefined}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void send();
          }
        }}
      />
      <button type="submit" class="primary" disabled={isDisabled() || isSending() || text().trim() === ''}>
        {isSending() ? i18n.t('composer.sending') : i18n.t('composer.send')}
      </button>
      <p id="composer-disabled" class="composer-disabled" hidden={!isDisabled()}>
        {props.disabledReason}
      </p>
    </form>
  );
}
