/**
 * The codec port: turns values into bytes for the wire (NATS) and for storage, and back. The runtime holds one
 * instance from the composition root; implementations must be safe to call re-entrantly and must not allocate
 * per-call encoder state.
 */
export interface Codec {
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}
