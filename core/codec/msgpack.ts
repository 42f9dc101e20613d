import { Packr, RESERVE_START_SPACE } from 'msgpackr';
import { ParloError } from '../errors/parlo-error.ts';
import type { Codec } from './codec.ts';

/**
 * One shared msgpackr record structure: the exact key order of a hot wire shape, and the table version that
 * introduced it. An object is encoded as a shared record only when its own keys are exactly these, in this order.
 */
export interface WireStructure {
  readonly since: number;
  readonly keys: readonly string[];
}

/**
 * The shared record structures of the wire format. `structures[i]` is msgpackr record id `0x40 + i` on every
 * process, so this table is APPEND-ONLY: never reorder, edit or delete an entry. To add a shape, append it with
 * `since: version + 1` and bump `version`. A process decodes payloads of any version up to its own and rejects
 * newer ones with `PARLO_CODEC_VERSION_UNSUPPORTED` (rolling upgrades roll decoders out before encoders).
 *
 * Shapes that are not in the table still encode: msgpackr writes their record definition inline in the payload,
 * so they decode anywhere, only a few bytes larger.
 */
export const WIRE_STRUCTURES = {
  version: 1,
  structures: [
    { since: 1, keys: ['to', 'msg', 'msgId'] }, // Envelope (transport.port.ts) with an idempotency key
    { since: 1, keys: ['to', 'msg'] }, // Envelope without msgId
    { since: 1, keys: ['ok', 'value'] }, // Reply: accepted
    { since: 1, keys: ['ok', 'code', 'message'] }, // Reply: refusal (STYLE 2.2)
    { since: 1, keys: ['topic', 'event'] }, // realtime event as relayed to gateways
  ],
} as const satisfies { version: number; structures: readonly WireStructure[] };

/** The wire-table version this build encodes with (the first byte of every payload). */
export const WIRE_VERSION: number = WIRE_STRUCTURES.version;

/** Encoding writes this many bytes before the msgpack body; byte 0 is the table version. */
const HEADER_BYTES = 1;
const ENCODE_OPTIONS = RESERVE_START_SPACE | HEADER_BYTES;
/** Shared, never mutated by msgpackr (it only reads `start`/`end`). */
const DECODE_OPTIONS = { start: HEADER_BYTES } as const;

function structuresOf(version: number): string[][] {
  // Fresh arrays per Packr: msgpackr annotates and extends the arrays it is given.
  return WIRE_STRUCTURES.structures.filter((s) => s.since <= version).map((s) => [...s.keys]);
}

/** A Packr configured exactly as every process configures it for `version`; encode and decode agree by construction. */
function packrFor(version: number): Packr {
  const structures = structuresOf(version);
  return new Packr({
    structures,
    // Exactly the table: a process never mints shared ids at runtime (no saveStructures), so unknown shapes are
    // written with inline record definitions instead of ids that another process could not resolve.
    maxSharedStructures: structures.length,
    // Decoded binary data must not alias the transport's receive buffer.
    copyBuffers: true,
  });
}

/**
 * The wire codec: msgpack with the shared record structures of {@link WIRE_STRUCTURES}, every payload prefixed by
 * one byte holding the table version. Independent instances (and processes) built from the same table decode each
 * other's payloads.
 */
export function createWireCodec(): Codec {
  const encoder = packrFor(WIRE_VERSION);
  // Decoders per older version are created lazily; index = version.
  const decoders: (Packr | undefined)[] = [];
  decoders[WIRE_VERSION] = encoder;

  function decoderFor(version: number): Packr {
    let decoder = decoders[version];
    if (decoder === undefined) {
      if (version < 1 || version > WIRE_VERSION) {
        throw new ParloError(
          'PARLO_CODEC_VERSION_UNSUPPORTED',
          `payload uses wire-structure table v${version}; this process knows v1..v${WIRE_VERSION}`,
          { version, known: WIRE_VERSION },
        );
      }
      decoder = packrFor(version);
      decoders[version] = decoder;
    }
    return decoder;
  }

  return {
    encode(value: unknown): Uint8Array {
      // RESERVE_START_SPACE makes msgpackr leave the header byte free in its own buffer: no extra copy.
      const bytes = encoder.pack(value, ENCODE_OPTIONS);
      bytes[0] = WIRE_VERSION;
      return bytes;
    },
    decode(bytes: Uint8Array): unknown {
      const version = bytes[0];
      if (version === undefined) {
        throw new ParloError('PARLO_CODEC_VERSION_UNSUPPORTED', 'empty payload: no wire-structure version byte');
      }
      const decoder = version === WIRE_VERSION ? encoder : decoderFor(version);
      return decoder.unpack(bytes, DECODE_OPTIONS);
    },
  };
}
