/**
 * Address ⇄ NATS subject. Subjects are `parlo.p.<partition>.<kind>.<idToken>`; tokens may not contain `.`, `*`,
 * `>`, whitespace or be empty, and nothing starts with `$`. Ids are made token-safe by one reversible escape:
 * every character outside [A-Za-z0-9_-] becomes `~XXXX` (its UTF-16 code unit in hex).
 */
export const SUBJECT_PREFIX = 'parlo';

const SAFE = /^[A-Za-z0-9_-]$/;

export function toSubjectToken(id: string): string {
  if (id.length === 0) return '~';
  let out = '';
  for (const ch of id) {
    if (SAFE.test(ch)) {
      out += ch;
    } else {
      for (let i = 0; i < ch.length; i++) out += '~' + ch.charCodeAt(i).toString(16).padStart(4, '0');
    }
  }
  return out;
}

export function fromSubjectToken(token: string): string {
  if (token === '~') return '';
  return token.replace(/~([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function partitionSubject(partition: number): string {
  return `${SUBJECT_PREFIX}.p.${partition}`;
}

export function actorSubject(partition: number, kind: string, id: string): string {
  return `${SUBJECT_PREFIX}.p.${partition}.${kind}.${toSubjectToken(id)}`;
}

export function eventSubject(topic: string): string {
  return `${SUBJECT_PREFIX}.rt.${topic}`;
}
