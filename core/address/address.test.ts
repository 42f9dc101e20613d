import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAddress, isValidKind, parseAddress } from './address.ts';

/** Valid kinds: `[a-z][a-z0-9-]*`. */
const kindArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);

/** Ids are anything non-empty: colons, dots, spaces, unicode, lone surrogates. */
const idArb = fc.string({
  minLength: 1,
  unit: fc.oneof(
    fc.constantFrom(':', '::', '.', ' ', '*', '>', '$', '~', '\n'),
    fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), // incl. lone surrogates
    fc.integer({ min: 0x10000, max: 0x10ffff }).map((point) => String.fromCodePoint(point)), // surrogate pairs
  ),
});

describe('formatAddress / parseAddress', () => {
  it('round-trips every valid kind with any non-empty id', () => {
    fc.assert(
      fc.property(kindArb, idArb, (kind, id) => {
        const printed = formatAddress({ kind, id });
        expect(printed).toBe(`${kind}:${id}`);
        expect(parseAddress(printed)).toEqual({ kind, id });
      }),
    );
  });

  it.each([
    ['number:1', { kind: 'number', id: '1' }],
    ['conversation:pn:wa', { kind: 'conversation', id: 'pn:wa' }],
    ['flow-run:a:b:', { kind: 'flow-run', id: 'a:b:' }],
    ['x2:::', { kind: 'x2', id: '::' }],
    ['contact:José 😀', { kind: 'contact', id: 'José 😀' }],
  ])('parses %j at the first colon', (text, expected) => {
    expect(parseAddress(text)).toEqual(expected);
  });

  it.each(['', 'kind', ':id', 'kind:', 'Bad:1', ':', '1kind:x', '-kind:x', 'ki_nd:x', 'kind :x', 'kïnd:x'])(
    'rejects %j with PARLO_INVALID_ADDRESS',
    (text) => {
      expect(() => parseAddress(text)).toThrow(expect.objectContaining({ code: 'PARLO_INVALID_ADDRESS' }));
    },
  );

  it('names the offending text in the error message', () => {
    expect(() => parseAddress('kind')).toThrow('"kind"');
    expect(() => parseAddress('Bad:1')).toThrow('"Bad"');
  });
});

describe('isValidKind', () => {
  it.each([
    ['number', true],
    ['flow-run', true],
    ['a1', true],
    ['a', true],
    ['', false],
    ['Number', false],
    ['1a', false],
    ['-a', false],
    ['a_b', false],
    ['a.b', false],
    ['a:b', false],
  ])('%j → %s', (kind, expected) => {
    expect(isValidKind(kind)).toBe(expected);
  });

  it('agrees with the generator used for round-trips', () => {
    fc.assert(fc.property(kindArb, (kind) => isValidKind(kind)));
  });
});
