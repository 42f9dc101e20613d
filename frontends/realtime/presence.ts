import { PRESENCES, presenceTopic, type PresenceSignal } from '../../actors/operators/operator.messages.ts';

/**
 * Operators' presence on the inbox's sockets: each `operator` actor publishes a change of its presence (online,
 * away, offline) on `presence.<orgId>` (transient: not numbered, not retained); each node's org channel follows
 * that topic while the organisation has sockets there and sends `presence {userId, presence, at}` to every socket
 * of the organisation with a subscription. `GET /v1/operators` is the record a client loads first.
 */
export { presenceTopic, type PresenceSignal };

/** A published payload as a presence signal, if it has that shape (it may cross a process boundary). */
export function asPresenceSignal(payload: unknown): PresenceSignal | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const { userId, presence, atMs } = payload as Partial<PresenceSignal>;
  if (typeof userId !== 'string' || userId.length === 0 || typeof atMs !== 'number' || !Number.isFinite(atMs)) {
    return null;
  }
  if (!(PRESENCES as readonly unknown[]).includes(presence)) return null;
  return { userId, presence: presence!, atMs };
}
