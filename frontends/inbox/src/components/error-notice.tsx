import { Show } from 'solid-js';
import { useI18n } from '../i18n/i18n.ts';

/** An API refusal or failure, in the API's own words (it names the lock holder, the closed window…). */
export function ErrorNotice(props: { readonly message: string | null; readonly onDismiss: () => void }) {
  const i18n = useI18n();
  return (
    <div role="alert" class="error-notice-region">
      <Show when={props.message}>
        {(message) => (
          <p class="error-notice">
            <span>{message()}</span>
            <button type="button" class="link" onClick={() => props.onDismiss()}>
              {i18n.t('error.dismiss')}
            </button>
          </p>
        )}
      </Show>
    </div>
  );
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
