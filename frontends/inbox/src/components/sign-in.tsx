import { Show, createSignal } from 'solid-js';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/i18n.ts';
import { ApiError, NETWORK_ERROR } from '../lib/api.ts';
import type { SessionStore } from '../lib/session.ts';
import { LanguageSwitch } from './language-switch.tsx';

type Problem =
  { readonly key: MessageKey; readonly params?: Record<string, string | number> } | { readonly text: string };

/** The API's refusal of a sign-in, in the reader's language where it is one we know. */
function problemOf(err: unknown): Problem {
  if (!(err instanceof ApiError)) return { text: err instanceof Error ? err.message : String(err) };
  switch (err.code) {
    case 'PARLO_LOGIN_FAILED':
    case 'PARLO_VALIDATION_FAILED':
      return { key: 'signIn.failed' };
    case 'PARLO_LOGIN_LOCKED': {
      const details = err.details as { retryAfterSeconds?: unknown } | undefined;
      const seconds = typeof details?.retryAfterSeconds === 'number' ? details.retryAfterSeconds : 60;
      return { key: 'signIn.locked', params: { seconds } };
    }
    case 'PARLO_RATE_LIMITED':
      return { key: 'signIn.rateLimited' };
    case NETWORK_ERROR:
      return { key: 'signIn.unreachable' };
    default:
      return { text: err.message };
  }
}

export function SignIn(props: { readonly session: SessionStore }) {
  const i18n = useI18n();
  const [email, setEmail] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [emailError, setEmailError] = createSignal<MessageKey | null>(null);
  const [passwordError, setPasswordError] = createSignal<MessageKey | null>(null);
  const [problem, setProblem] = createSignal<Problem | null>(null);
  const [isBusy, setBusy] = createSignal(false);
  let emailInput: HTMLInputElement | undefined;
  let passwordInput: HTMLInputElement | undefined;

  const text = (p: Problem) => ('key' in p ? i18n.t(p.key, p.params) : p.text);

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    setProblem(null);
    const missingEmail = email().trim() === '';
    const missingPassword = password() === '';
    setEmailError(missingEmail ? 'signIn.emailMissing' : null);
    setPasswordError(missingPassword ? 'signIn.passwordMissing' : null);
    if (missingEmail) return emailInput?.focus();
    if (missingPassword) return passwordInput?.focus();
    setBusy(true);
    try {
      await props.session.signIn(email().trim(), password());
    } catch (err) {
      setProblem(problemOf(err));
      setPassword('');
      passwordInput?.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <div class="sign-in-card">
        <div class="sign-in-top">
          <h1>{i18n.t('signIn.title')}</h1>
          <LanguageSwitch />
        </div>
        <Show when={props.session.notice()}>
          {(notice) => (
            <p class="notice" role="status">
              {i18n.t(notice())}
            </p>
          )}
        </Show>
        <form onSubmit={(e) => void submit(e)} novalidate aria-describedby="sign-in-problem">
          <div class="field">
            <label for="sign-in-email">{i18n.t('signIn.email')}</label>
            <input
              ref={emailInput}
              id="sign-in-email"
              name="email"
              type="email"
              autocomplete="username"
              value={email()}
              onInput={(e) => setEmail(e.currentTarget.value)}
              aria-invalid={emailError() !== null}
              aria-describedby={emailError() ? 'sign-in-email-error' : undefined}
              autofocus
            />
            <Show when={emailError()}>
              {(key) => (
                <p id="sign-in-email-error" class="field-error">
                  {i18n.t(key())}
                </p>
              )}
            </Show>
          </div>
          <div class="field">
            <label for="sign-in-password">{i18n.t('signIn.password')}</label>
            <input
              ref={passwordInput}
              id="sign-in-password"
              name="password"
              type="password"
              autocomplete="current-password"
              value={password()}
              onInput={(e) => setPassword(e.currentTarget.value)}
              aria-invalid={passwordError() !== null}
              aria-describedby={passwordError() ? 'sign-in-password-error' : undefined}
            />
            <Show when={passwordError()}>
              {(key) => (
                <p id="sign-in-password-error" class="field-error">
                  {i18n.t(key())}
                </p>
              )}
            </Show>
          </div>
          <div id="sign-in-problem" role="alert" class="form-error">
            <Show when={problem()}>{(p) => text(p())}</Show>
          </div>
          <button type="submit" class="primary" disabled={isBusy()}>
            {isBusy() ? i18n.t('signIn.submitting') : i18n.t('signIn.submit')}
          </button>
        </form>
      </div>
    </main>
  );
}
