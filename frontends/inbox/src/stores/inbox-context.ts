import { createContext, useContext, type Accessor } from 'solid-js';
import type { UserSummary } from '../lib/wire.ts';
import type { InboxStore } from './inbox-store.ts';
import type { QuickRepliesStore } from './quick-replies-store.ts';

/**
 * What the inbox's components share: the store, the user's quick replies, the signed-in user, a ticking clock for
 * countdowns and the realtime typing notices.
 */
export interface InboxContextValue {
  readonly store: InboxStore;
  readonly quickReplies: QuickRepliesStore;
  readonly user: UserSummary;
  readonly now: Accessor<number>;
  /** Open a conversation (through the address bar). */
  readonly open: (id: string) => void;
  /** Back to the list. */
  readonly back: () => void;
  /** Go to an app path (the quick replies screen). */
  readonly navigate: (path: string) => void;
  /** The user is typing a reply in a conversation (throttled before it goes to the gateway). */
  readonly notifyTyping: (conversationId: string) => void;
}

export const InboxContext = createContext<InboxContextValue>();

export function useInbox(): InboxContextValue {
  const value = useContext(InboxContext);
  if (!value) throw new Error('useInbox outside <InboxContext.Provider>');
  return value;
}
