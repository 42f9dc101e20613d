import { createContext, useContext, type Accessor } from 'solid-js';
import type { UserSummary } from '../lib/wire.ts';
import type { InboxStore } from './inbox-store.ts';

/** What the inbox's components share: the store, the signed-in user and a ticking clock for countdowns. */
export interface InboxContextValue {
  readonly store: InboxStore;
  readonly user: UserSummary;
  readonly now: Accessor<number>;
  /** Open a conversation (through the address bar). */
  readonly open: (id: string) => void;
  /** Back to the list. */
  readonly back: () => void;
}

export const InboxContext = createContext<InboxContextValue>();

export function useInbox(): InboxContextValue {
  const value = useContext(InboxContext);
  if (!value) throw new Error('useInbox outside <InboxContext.Provider>');
  return value;
}
