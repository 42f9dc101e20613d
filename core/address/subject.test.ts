import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  actorSubject,
  eventSubject,
  fromSubjectToken,
  partitionSubject,
  SUBJECT_PREFIX,
  toSubjectToken,
} from './subject.ts';

/**
 * Strings that stress the escape: NATS separators and wildcards, whitespace, `$`, the escape character itself,
 * hex digits that could be mistaken for an escape, lone surrogates and astral characters.
 */
const idArb = fc.string({
  maxLength: 40,
  unit: fc.oneof(
    fc.constantFrom('.', '*', '>', ' ', '\t', '\n', '$', '~', ':', '0', 'a', 'f', 'F', 'Z', '_', '-', '~0041', '~~'),
    fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
    fc.integer({ min: 0x10000, max: 0x10ffff }).map((point) => String.fromCodePoint(point)),
  ),
});

const kindArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);

const TOKEN = /^[A-Za-z0-9_~-]+$/;

describe('toSubjectToken / fromSubjectToken', () => {
  it('round-trips any string', () => {
    fc.assert(
      fc.property(idArb, (id) => {
        expect(fromSubjectToken(toSubjectToken(id))).toBe(id);
      }),
    );
  });

  it('produces a non-empty token of [A-Za-z0-9_~-] only', () => {
    fc.assert(
      fc.property(idArb, (id) => {
        expect(toSubjectToken(id)).toMatch(TOKEN);
      }),
    );
  });

  it.each([
    ['', '~'],
    ['abc-DEF_123', 'abc-DEF_123'],
    ['a.b', 'a~002eb'],
    ['*', '~002a'],
    ['>', '~003e'],
    [' ', '~0020'],
    ['$SYS', '~0024SYS'],
    ['~', '~007e'],
    ['~0041', '~007e0041'],
    ['é0', '~00e90'],
    ['😀', '~d83d~de00'],
    ['\ud800', '~d800'],
  ])('escapes %j as %j and back', (id, token) => {
    expect(toSubjectToken(id)).toBe(token);
    expect(fromSubjectToken(token)).toBe(id);
  });

  it('is injective: different ids never share a token', () => {
    fc.assert(
      fc.property(idArb, idArb, (a, b) => {
        fc.pre(a !== b);
        expect(toSubjectToken(a)).not.toBe(toSubjectToken(b));
      }),
    );
  });
});

describe('actorSubject', () => {
  it('is parlo.p.<partition>.<kind>.<token> with no empty token and no leading $', () => {
    fc.assert(
      fc.property(fc.nat({ max: 4095 }), kindArb, idArb, (partition, kind, id) => {
        const subject = actorSubject(partition, kind, id);
        expect(subject.startsWith('$')).toBe(false);
        expect(subject).not.toMatch(/[\s*>]/);
        const tokens = subject.split('.');
        expect(tokens.every((token) => token.length > 0)).toBe(true);
        expect(tokens).toEqual([SUBJECT_PREFIX, 'p', String(partition), kind, toSubjectToken(id)]);
        expect(subject.startsWith(`${partitionSubject(partition)}.`)).toBe(true);
      }),
    );
  });

  it('formats known subjects', () => {
    expect(actorSubject(7, 'conversation', 'pn:wa')).toBe('parlo.p.7.conversation.pn~003awa');
    expect(actorSubject(0, 'org', '')).toBe('parlo.p.0.org.~');
    expect(partitionSubject(63)).toBe('parlo.p.63');
    expect(eventSubject('org1.inbox')).toBe('parlo.rt.org1.inbox');
  });
});
