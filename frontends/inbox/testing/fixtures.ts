import type {
  ConversationSummary,
  ConversationView,
  Message,
  Operator,
  Presence,
  QuickReply,
  Role,
  Template,
} from '../src/lib/wire.ts';
import { SESSION_STORAGE_KEY, type Session } from '../src/lib/session.ts';

/** Builders of API answers for the inbox's tests (shapes as documented in the README / OpenAPI). */

export const ME = 'usr00000000000000a1';
export const ANA = 'usr00000000000000b2';
export const NUMBER = '100000000000002';

export function session(role: Role = 'operator', nowMs = Date.now()): Session {
  return {
    orgId: '0123456789abcdef',
    user: { id: ME, email: 'olga.operator@acme.test', role },
    tokens: {
      accessToken: 'aaaa.access',
      refreshToken: 'aaaa.refresh',
      accessExpiresAt: new Date(nowMs + 15 * 60_000).toISOString(),
      refreshExpiresAt: new Date(nowMs + 30 * 24 * 3_600_000).toISOString(),
    },
  };
}

/** Signs the tab in, as a previous sign-in would have. */
export function storeSession(role: Role = 'operator'): Session {
  const s = session(role);
  sessionStorage.setItem(SESSION_STORAGE_KEY, JSON.stringify(s));
  return s;
}

export const members = [
  { userId: ME, email: 'olga.operator@acme.test', role: 'operator', status: 'active' },
  { userId: ANA, email: 'ana.rossi@acme.test', role: 'operator', status: 'active' },
];

export function org() {
  return { id: '0123456789abcdef', name: 'Acme', members };
}

/** `GET /v1/operators`: the members as operators, with the presence given (offline when not named). */
export function operators(presence: Readonly<Record<string, Presence>> = {}): { data: Operator[] } {
  return {
    data: members.map((m) => ({
      userId: m.userId,
      email: m.email,
      role: m.role as Role,
      presence: presence[m.userId] ?? 'offline',
      devices: presence[m.userId] === 'online' ? 1 : 0,
      settings: { teams: [], skills: [], capacity: 5 },
      openConversations: [],
    })),
  };
}

/** A realtime presence frame. */
export function presenceFrame(userId: string, presence: Presence, at: string) {
  return { type: 'presence' as const, userId, presence, at };
}

export function numbers() {
  return {
    data: [
      {
        phoneNumberId: NUMBER,
        wabaId: '200000000000001',
        displayPhoneNumber: '+1 555 0100',
        displayName: 'Support',
        verifiedName: null,
      },
    ],
  };
}

export function summary(
  id: string,
  name: string,
  at: string,
  extra: Partial<ConversationSummary> = {},
): ConversationSummary {
  return {
    id: `${NUMBER}.p${id}`,
    phoneNumberId: NUMBER,
    customer: { phone: id, userId: null, profileName: name },
    lastActivityAt: at,
    lastMessage: { direction: 'in', type: 'text', preview: `hello from ${name}`, failed: false },
    window: { isOpen: true, expiresAt: new Date(Date.parse(at) + 24 * 3_600_000).toISOString() },
    assignee: null,
    unreadCount: 1,
    ...extra,
  };
}

let seq = 0;
export function message(extra: Partial<Message> & Pick<Message, 'direction'>): Message {
  seq += 1;
  return {
    id: `msg_${seq}`,
    seq,
    at: new Date(Date.now() - (100 - seq) * 1000).toISOString(),
    type: 'text',
    content: extra.direction === 'in' ? { body: `in ${seq}` } : { type: 'text', text: { body: `out ${seq}` } },
    whatsappMessageId: null,
    category: extra.direction === 'out' ? 'service' : null,
    state: extra.direction === 'out' ? 'accepted' : null,
    status: extra.direction === 'out' ? 'sent' : null,
    statusHistory: [],
    error: null,
    media: null,
    ...extra,
  };
}

export function view(id: string, messages: Message[], extra: Partial<ConversationView> = {}): ConversationView {
  const expiresAt = new Date(Date.now() + (3 * 60 + 12) * 60_000 + 30_000).toISOString();
  return {
    id,
    phoneNumberId: NUMBER,
    customer: { phone: id.split('.p')[1] ?? '15550001', userId: null, profileName: 'Giulia' },
    window: {
      service: { isOpen: true, expiresAt },
      freeEntryPoint: { isOpen: false, expiresAt: null },
      canSendFreeForm: true,
      reason: 'serviceWindowOpen',
    },
    messages: [...messages].reverse(),
    nextCursor: null,
    ...extra,
  };
}

export const closedWindow: ConversationView['window'] = {
  service: { isOpen: false, expiresAt: new Date(Date.now() - 3_600_000).toISOString() },
  freeEntryPoint: { isOpen: false, expiresAt: null },
  canSendFreeForm: false,
  reason: 'windowClosed',
};

export function template(): Template {
  return {
    id: '7000000001',
    wabaId: '200000000000001',
    name: 'order_shipped',
    language: 'en',
    category: 'UTILITY',
    status: 'APPROVED',
    definition: {
      name: 'order_shipped',
      language: 'en',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hi {{1}}, order {{2}} is on its way.' }],
    },
  };
}

let quickReplySeq = 0;
/** A quick reply as `GET /v1/quick-replies` lists it (personal ones belong to ME). */
export function quickReply(extra: Partial<QuickReply> & Pick<QuickReply, 'shortcut'>): QuickReply {
  quickReplySeq += 1;
  const scope = extra.scope ?? 'shared';
  const text = extra.text ?? `Text of ${extra.shortcut}`;
  return {
    id: `qr_${quickReplySeq}`,
    scope,
    title: `Title of ${extra.shortcut}`,
    text,
    variables: [...text.matchAll(/\{\{\s*([a-z_.]+)/g)].map((m) => m[1] ?? ''),
    owner: scope === 'personal' ? ME : null,
    shadowed: false,
    createdAt: '2026-11-20T10:00:00.000Z',
    updatedAt: '2026-11-20T10:00:00.000Z',
    ...extra,
  };
}
