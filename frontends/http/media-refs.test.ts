import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MEDIA_API_REF_PATTERN, createMediaRefs, deriveMediaRefKeys } from './media-refs.ts';

const key = (n: number): Buffer => Buffer.alloc(32, n);
const SHA = createHash('sha256').update('a photo').digest('hex');

describe('organisation-scoped media refs', () => {
  const refs = createMediaRefs(deriveMediaRefKeys([key(1)]));

  it('opens a ref for the organisation it was issued to, and for no other', () => {
    const ref = refs.issue('org_a', SHA);
    expect(ref).toMatch(MEDIA_API_REF_PATTERN);
    expect(ref.startsWith(`${SHA}.`)).toBe(true);
    expect(refs.open('org_a', ref)).toBe(SHA);
    expect(refs.open('org_b', ref)).toBeUndefined();
    // The same file in two organisations: two refs, each good for its own organisation only.
    const refB = refs.issue('org_b', SHA);
    expect(refB).not.toBe(ref);
    expect(refs.open('org_b', refB)).toBe(SHA);
    expect(refs.open('org_a', refB)).toBeUndefined();
  });

  it('refuses altered refs: another hash, another tag, another spelling of the tag, another shape', () => {
    const ref = refs.issue('org_a', SHA);
    const [sha, tag] = ref.split('.') as [string, string];
    const otherSha = createHash('sha256').update('another photo').digest('hex');
    expect(refs.open('org_a', `${otherSha}.${tag}`)).toBeUndefined();
    const flipped = `${tag.slice(0, 5)}${tag[5] === 'A' ? 'B' : 'A'}${tag.slice(6)}`;
    expect(refs.open('org_a', `${sha}.${flipped}`)).toBeUndefined();
    // The last character carries 2 spare bits: only the canonical spelling opens.
    const last = tag[21]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(refs.open('org_a', `${sha}.${tag.slice(0, 21)}${sibling}`)).toBeUndefined();
    for (const bad of ['', SHA, `${SHA}.`, `${SHA.toUpperCase()}.${tag}`, `${ref}x`, `../${ref}`]) {
      expect(refs.open('org_a', bad), bad).toBeUndefined();
    }
  });

  it('rotates with the keys: the first mints, every one opens, a removed one revokes', () => {
    const old = refs.issue('org_a', SHA);
    const rotated = createMediaRefs(deriveMediaRefKeys([key(2), key(1)]));
    expect(rotated.open('org_a', old)).toBe(SHA);
    const fresh = rotated.issue('org_a', SHA);
    expect(fresh).not.toBe(old);
    expect(rotated.open('org_a', fresh)).toBe(SHA);
    const retired = createMediaRefs(deriveMediaRefKeys([key(2)]));
    expect(retired.open('org_a', old)).toBeUndefined();
    expect(retired.open('org_a', fresh)).toBe(SHA);
  });

  it('derives keys unlike the SecretBox keys themselves, and refuses to mint for a non-ref', () => {
    const [derived] = deriveMediaRefKeys([key(1)]);
    expect(derived).toHaveLength(32);
    expect(derived!.equals(key(1))).toBe(false);
    expect(() => refs.issue('org_a', 'not-a-sha')).toThrow(TypeError);
    expect(() => createMediaRefs([])).toThrow(TypeError);
  });
});
