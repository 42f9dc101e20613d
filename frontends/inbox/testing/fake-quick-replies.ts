import type { QuickReply, QuickReplyDraft, RenderedQuickReply } from '../src/lib/wire.ts';
import { apiError, type FakeAnswer, type FakeRequest, type FakeRoute } from './fake-api.ts';
import { ME } from './fixtures.ts';

/**
 * The quick-replies API over an in-memory list, for `renderApp({ routes })`: list (shared + the caller's personal,
 * by shortcut, shared ones shadowed by a personal one with the same shortcut), create and edit (409
 * PARLO_QUICK_REPLY_SHORTCUT_TAKEN within a scope; 400 PARLO_BAD_REQUEST naming the field for a bad shortcut or an
 * unknown variable such as `{{operator.nickname}}`), delete, and render (the variables `contact` gives are filled
 * in, a `{{x|fallback}}` falls back, the rest are reported missing).
 */

const SHORTCUT = /^[a-z0-9_-]{1,32}$/;
const KNOWN_VARIABLE = /^(contact\.[a-z_]+|operator\.(name|first_name))$/;
const VARIABLE = /\{\{\s*([a-z_.]+)\s*(?:\|([^}]*))?\}\}/g;

export interface FakeQuickReplies {
  readonly routes: Record<string, FakeRoute>;
  /** The stored replies, as the fake keeps them (without `shadowed`). */
  readonly items: QuickReply[];
}

export function fakeQuickReplies(
  initial: readonly QuickReply[] = [],
  options: { readonly contact?: Readonly<Record<string, string>>; readonly nowIso?: string } = {},
): FakeQuickReplies {
  const items: QuickReply[] = initial.map((item) => ({ ...item }));
  const contact = options.contact ?? { 'contact.name': 'Giulia Bianchi', 'contact.first_name': 'Giulia' };
  const at = options.nowIso ?? '2026-11-25T12:00:00.000Z';
  let next = 0;

  const listed = (): QuickReply[] =>
    items
      .map((item) => ({
        ...item,
        shadowed: item.scope === 'shared' && items.some((p) => p.scope === 'personal' && p.shortcut === item.shortcut),
      }))
      .sort((a, b) => a.shortcut.localeCompare(b.shortcut) || a.scope.localeCompare(b.scope));

  const idOf = (request: FakeRequest, fromEnd: number) => {
    const segments = request.path.split('/');
    return decodeURIComponent(segments[segments.length - fromEnd] ?? '');
  };

  function check(draft: Partial<QuickReplyDraft>, self?: QuickReply): FakeAnswer | null {
    if (draft.shortcut !== undefined && !SHORTCUT.test(draft.shortcut)) {
      return apiError(400, 'PARLO_BAD_REQUEST', 'shortcut: use 1 to 32 of a-z, 0-9, _ and -');
    }
    const unknown = variablesOf(draft.text ?? '').find((v) => !KNOWN_VARIABLE.test(v));
    if (unknown !== undefined) {
      return apiError(400, 'PARLO_BAD_REQUEST', `text: unknown variable {{${unknown}}}`);
    }
    const scope = self?.scope ?? draft.scope;
    if (
      draft.shortcut !== undefined &&
      items.some((i) => i !== self && i.scope === scope && i.shortcut === draft.shortcut)
    ) {
      return apiError(409, 'PARLO_QUICK_REPLY_SHORTCUT_TAKEN', `the shortcut /${draft.shortcut} is already taken`);
    }
    return null;
  }

  const variablesOf = (text: string) => [...text.matchAll(VARIABLE)].map((m) => m[1] ?? '');

  const routes: Record<string, FakeRoute> = {
    'GET /v1/quick-replies': () => ({ body: { items: listed() } }),
    'POST /v1/quick-replies': (request) => {
      const draft = request.body as QuickReplyDraft;
      const refusal = check(draft);
      if (refusal) return refusal;
      next += 1;
      const created: QuickReply = {
        id: `qr_new_${next}`,
        scope: draft.scope,
        shortcut: draft.shortcut,
        title: draft.title,
        text: draft.text,
        variables: variablesOf(draft.text),
        owner: draft.scope === 'personal' ? ME : null,
        shadowed: false,
        createdAt: at,
        updatedAt: at,
      };
      items.push(created);
      return { status: 201, body: created };
    },
    'PATCH /v1/quick-replies/*': (request) => {
      const index = items.findIndex((i) => i.id === idOf(request, 1));
      const current = items[index];
      if (!current) return apiError(404, 'PARLO_QUICK_REPLY_NOT_FOUND', 'no such quick reply');
      const patch = request.body as Partial<QuickReplyDraft>;
      const refusal = check(patch, current);
      if (refusal) return refusal;
      const text = patch.text ?? current.text;
      const updated: QuickReply = { ...current, ...patch, text, variables: variablesOf(text), updatedAt: at };
      items[index] = updated;
      return { body: updated };
    },
    'DELETE /v1/quick-replies/*': (request) => {
      const index = items.findIndex((i) => i.id === idOf(request, 1));
      if (index === -1) return apiError(404, 'PARLO_QUICK_REPLY_NOT_FOUND', 'no such quick reply');
      items.splice(index, 1);
      return { status: 204 };
    },
    'POST /v1/conversations/*/quick-replies/*/render': (request) => {
      const item = items.find((i) => i.id === idOf(request, 2));
      if (!item) return apiError(404, 'PARLO_QUICK_REPLY_NOT_FOUND', 'no such quick reply');
      const missing: string[] = [];
      const text = item.text.replace(VARIABLE, (_whole, name: string, fallback: string | undefined) => {
        const value = contact[name];
        if (value !== undefined) return value;
        if (fallback !== undefined) return fallback;
        missing.push(name);
        return '';
      });
      const body: RenderedQuickReply = { text, missing };
      return { body };
    },
  };
  return { routes, items };
}
