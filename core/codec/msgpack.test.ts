import { describe, expect, it } from 'vitest';
import { errorCodeOf } from '../errors/parlo-error.ts';
import { WIRE_STRUCTURES, WIRE_VERSION, createWireCodec } from './msgpack.ts';

describe('WIRE_STRUCTURES', () => {
  it('keeps its first entries exactly (append-only: record ids are positions in this table)', () => {
    expect(WIRE_STRUCTURES.version).toBe(1);
    expect(WIRE_STRUCTURES.structures.slice(0, 5)).toEqual([
      { since: 1, keys: ['to', 'msg', 'msgId'] },
      { since: 1, keys: ['to', 'msg'] },
      { since: 1, keys: ['ok', 'value'] },
      { since: 1, keys: ['ok', 'code', 'message'] },
      { since: 1, keys: ['topic', 'event'] },
    ]);
  });

  it('is ordered by version and never introduces an entry above the current version', () => {
    let previous = 1;
    for (const entry of WIRE_STRUCTURES.structures) {
      expect(entry.since).toBeGreaterThanOrEqual(previous);
      expect(entry.since).toBeLessThanOrEqual(WIRE_STRUCTURES.version);
      previous = entry.since;
    }
  });
});

describe('createWireCodec', () => {
  const sender = createWireCodec();
  const receiver = createWireCodec(); // an independent instance stands in for another process

  const across = (value: unknown): unknown => receiver.decode(sender.encode(value));

  it('prefixes every payload with the table version', () => {
    expect(sender.encode({ to: 'number:1', msg: 1 })[0]).toBe(WIRE_VERSION);
    expect(sender.encode('plain')[0]).toBe(WIRE_VERSION);
  });

  it('encodes the hot shapes as shared records (a one-byte record id, no inline key names)', () => {
    const bytes = sender.encode({ to: 'x', msg: 1, msgId: 'y' });
    expect(Array.from(bytes)).toEqual([WIRE_VERSION, 0x40, 0xa1, 0x78, 0x01, 0xa1, 0x79]);
    expect(sender.encode({ ok: false, code: 'C', message: 'M' })[1]).toBe(0x43);
  });

  it('round-trips envelopes and replies between independent instances', () => {
    const envelope = { to: 'conversation:123:456', msg: { type: 'sendText', text: 'hi' }, msgId: 'm-1' };
    expect(across(envelope)).toEqual(envelope);
    expect(across({ to: 'number:1', msg: { type: 'ping' } })).toEqual({ to: 'number:1', msg: { type: 'ping' } });
    expect(across({ ok: true, value: { messageKey: 'k' } })).toEqual({ ok: true, value: { messageKey: 'k' } });
    expect(across({ ok: false, code: 'PARLO_WINDOW_CLOSED', message: 'template required' })).toEqual({
      ok: false,
      code: 'PARLO_WINDOW_CLOSED',
      message: 'template required',
    });
  });

  it('round-trips nested objects and arrays of shapes outside the table', () => {
    const value = {
      org: { id: 'o1', plan: { name: 'pro', limits: [1, 2, { nested: [true, false, null] }] } },
      list: [{ a: 1 }, { a: 2, b: 'x' }, [], {}, [[['deep']]]],
      text: 'ünïcödé ✓ 🚀',
      empty: '',
      float: 1.5,
      negative: -42,
    };
    expect(across(value)).toEqual(value);
  });

  it('decodes a repeated non-table shape with a fresh decoder (record definitions travel inline)', () => {
    sender.encode({ zz: 1, yy: 2 });
    const second = sender.encode({ zz: 3, yy: 4 });
    expect(createWireCodec().decode(second)).toEqual({ zz: 3, yy: 4 });
  });

  it('round-trips many distinct shapes in one payload', () => {
    const value: Record<string, unknown> = {};
    for (let i = 0; i < 150; i++) value[`k${i}`] = { [`x${i}`]: i, y: [i, { [`z${i % 7}`]: `v${i}` }] };
    expect(across(value)).toEqual(value);
  });

  it('round-trips binary data as an independent Uint8Array', () => {
    const bytes = new Uint8Array([0, 1, 2, 254, 255]);
    const payload = sender.encode({ bytes });
    const decoded = receiver.decode(payload) as { bytes: Uint8Array };
    expect(decoded.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(decoded.bytes)).toEqual([0, 1, 2, 254, 255]);
    payload.fill(0); // the decoded value must not alias the received buffer
    expect(Array.from(decoded.bytes)).toEqual([0, 1, 2, 254, 255]);
  });

  it('round-trips big numbers', () => {
    const value = {
      maxSafe: Number.MAX_SAFE_INTEGER,
      minSafe: Number.MIN_SAFE_INTEGER,
      uint32: 0xffffffff,
      beyondSafe: 2 ** 60,
      int64Max: 2n ** 63n - 1n,
      int64Min: -(2n ** 63n),
      micros: 123_456_789_012_345,
    };
    expect(across(value)).toEqual(value);
  });

  it('keeps undefined fields distinct from missing ones', () => {
    const withUndefined = across({ to: 'a:b', msg: { x: undefined, y: 1 }, msgId: undefined }) as Record<
      string,
      unknown
    >;
    expect(Object.keys(withUndefined)).toEqual(['to', 'msg', 'msgId']);
    expect(withUndefined.msgId).toBeUndefined();
    expect(Object.keys(withUndefined.msg as object)).toEqual(['x', 'y']);

    const missing = across({ to: 'a:b', msg: { y: 1 } }) as Record<string, unknown>;
    expect(Object.keys(missing)).toEqual(['to', 'msg']);
    expect(Object.keys(missing.msg as object)).toEqual(['y']);
  });

  it('round-trips Maps and Dates', () => {
    const value = { map: new Map([['a', 1]]), at: new Date(1_700_000_000_000) };
    expect(across(value)).toEqual(value);
  });

  it('returns payloads that stay valid after later encodes', () => {
    const first = sender.encode({ n: 1 });
    const copy = Array.from(first);
    for (let i = 0; i < 10_000; i++) sender.encode({ n: i, padding: 'x'.repeat(i % 50) });
    expect(Array.from(first)).toEqual(copy);
    expect(receiver.decode(first)).toEqual({ n: 1 });
  });

  it('rejects payloads of a newer table version', () => {
    const bytes = sender.encode({ ok: true, value: 1 });
    const newer = Uint8Array.from(bytes);
    newer[0] = WIRE_VERSION + 1;
    expect(() => receiver.decode(newer)).toThrow(/v2/);
    try {
      receiver.decode(newer);
    } catch (err) {
      expect(errorCodeOf(err)).toBe('PARLO_CODEC_VERSION_UNSUPPORTED');
    }
    const zero = Uint8Array.from(bytes);
    zero[0] = 0;
    expect(() => receiver.decode(zero)).toThrow(expect.objectContaining({ code: 'PARLO_CODEC_VERSION_UNSUPPORTED' }));
    expect(() => receiver.decode(new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'PARLO_CODEC_VERSION_UNSUPPORTED' }),
    );
  });
});
