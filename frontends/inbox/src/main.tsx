import { render } from 'solid-js/web';
import { App } from './app.tsx';
import { createI18n } from './i18n/i18n.ts';
import { createSessionStore } from './lib/session.ts';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  // Created once, here: a call inside the JSX would run again on every read of the prop (Solid props are getters).
  const session = createSessionStore();
  const i18n = createI18n();
  render(() => <App session={session} i18n={i18n} />, root);
}
