import { Show } from 'solid-js';
import { I18nContext, type I18n } from './i18n/i18n.ts';
import type { SessionStore } from './lib/session.ts';
import type { SocketFactory } from './lib/socket.ts';
import { SignIn } from './components/sign-in.tsx';
import { InboxPage } from './routes/inbox-page.tsx';

/** The whole app: the sign-in form, or the inbox of the signed-in user (a new inbox per session). */
export function App(props: {
  readonly session: SessionStore;
  readonly i18n: I18n;
  readonly createSocket?: SocketFactory;
}) {
  return (
    <I18nContext.Provider value={props.i18n}>
      <Show when={props.session.session()?.user} keyed fallback={<SignIn session={props.session} />}>
        {(user) => (
          <InboxPage
            session={props.session}
            user={user}
            {...(props.createSocket ? { createSocket: props.createSocket } : {})}
          />
        )}
      </Show>
    </I18nContext.Provider>
  );
}
