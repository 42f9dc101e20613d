import { For, Show, createMemo } from 'solid-js';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/i18n.ts';
import { memberName } from '../lib/people.ts';
import type { Presence } from '../lib/wire.ts';
import { useInbox } from '../stores/inbox-context.ts';

const LABELS: Readonly<Record<Presence, MessageKey>> = {
  online: 'presence.online',
  away: 'presence.away',
  offline: 'presence.offline',
};

/** Online first, then away, then offline. */
const ORDER: Readonly<Record<Presence, number>> = { online: 0, away: 1, offline: 2 };

/** A coloured dot (green online, amber away, grey offline) named for screen readers and on hover. */
export function PresenceDot(props: { readonly presence: Presence }) {
  const i18n = useI18n();
  const label = () => i18n.t(LABELS[props.presence]);
  return <span class={`presence-dot presence-${props.presence}`} role="img" aria-label={label()} title={label()} />;
}

/**
 * The top bar's "N online": how many colleagues (not the signed-in user) are online; opened, everyone's presence,
 * online first. Hidden until the operators are known.
 */
export function PresenceSummary() {
  const i18n = useI18n();
  const { store, user } = useInbox();
  const colleagues = createMemo(() =>
    Object.entries(store.state.presence)
      .filter(([userId]) => userId !== user.id)
      .map(([userId, entry]) => ({ userId, presence: entry.presence, name: memberName(store.state.members, userId) }))
      .sort((a, b) => ORDER[a.presence] - ORDER[b.presence] || a.name.localeCompare(b.name)),
  );
  const onlineCount = () => colleagues().filter((c) => c.presence === 'online').length;
  return (
    <Show when={colleagues().length > 0}>
      <details class="presence-menu">
        <summary title={i18n.t('presence.colleagues')}>
          <span class="presence-dot presence-online" aria-hidden="true" />
          {i18n.t('presence.onlineCount', { count: onlineCount() })}
        </summary>
        <ul class="presence-list" aria-label={i18n.t('presence.colleagues')}>
          <For each={colleagues()}>
            {(c) => (
              <li>
                <PresenceDot presence={c.presence} />
                <span class="presence-name">{c.name}</span>
              </li>
            )}
          </For>
        </ul>
      </details>
    </Show>
  );
}
