/**
 * The wire shapes of the Parlo API that the inbox reads and writes, written down here because the app is a client
 * of the documented API (README, `/openapi.json`): it imports nothing from the server's code, not even types, so
 * the server can change its internals freely and the app breaks only when the API does.
 */

export const ROLES = ['owner', 'admin', 'manager', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface SessionTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** ISO 8601. */
  readonly accessExpiresAt: string;
  readonly refreshExpiresAt: string;
}

export interface UserSummary {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
}

/** `POST /v1/sessions` → 201. */
export interface SignedIn {
  readonly orgId: string;
  readonly user: UserSummary;
  readonly tokens: SessionTokens;
}

/** `GET /v1/org` (members only; the rest is not used here). */
export interface Organisation {
  readonly id: string;
  readonly name: string;
  readonly members: readonly Member[];
}

export interface Member {
  readonly userId: string;
  readonly email: string;
  readonly role: Role;
  readonly status: 'active' | 'removed';
}

export const PRESENCES = ['online', 'away', 'offline'] as const;
export type Presence = (typeof PRESENCES)[number];

/** An item of `GET /v1/operators` → `{ data }`: every active member as an inbox operator (the rest is not read). */
export interface Operator {
  readonly userId: string;
  readonly email: string | null;
  readonly role: Role | null;
  readonly presence: Presence;
  readonly devices: number;
  readonly settings: {
    readonly teams: readonly string[];
    readonly skills: readonly string[];
    /** Most open conversations at once. */
    readonly capacity: number;
  };
  readonly openConversations: readonly string[];
}

/** `GET /v1/numbers` → `{ data }`. */
export interface PhoneNumber {
  readonly phoneNumberId: string;
  readonly wabaId: string;
  readonly displayPhoneNumber: string;
  readonly displayName: string | null;
  readonly verifiedName: string | null;
}

export interface Customer {
  readonly phone: string | null;
  readonly userId: string | null;
  readonly profileName: string | null;
}

export interface WindowView {
  readonly isOpen: boolean;
  readonly expiresAt: string | null;
}

/** An item of `GET /v1/conversations`. */
export interface ConversationSummary {
  readonly id: string;
  readonly phoneNumberId: string;
  readonly customer: Customer;
  readonly lastActivityAt: string;
  readonly lastMessage: {
    readonly direction: 'in' | 'out';
    readonly type: string;
    readonly preview: string | null;
    readonly failed: boolean;
  };
  readonly window: WindowView;
  readonly assignee: string | null;
  readonly unreadCount: number;
  /** In a search's answer: the newest message whose text holds the words searched for. */
  readonly match?: {
    readonly seq: number;
    readonly at: string;
    readonly direction: 'in' | 'out';
    readonly excerpt: string;
  };
}

export interface Page<T> {
  readonly data: readonly T[];
  readonly nextCursor: string | null;
}

export interface MessageMedia {
  readonly state: 'fetching' | 'stored' | 'failed';
  readonly ref: string | null;
  readonly mimeType: string | null;
  readonly sizeBytes: number | null;
  readonly fileName: string | null;
  readonly error: { readonly code: number | string; readonly detail: string } | null;
}

/** A message of `GET /v1/conversations/{id}` (and of realtime `message` / `messageUpdated` events). */
export interface Message {
  readonly id: string;
  readonly seq: number;
  readonly direction: 'in' | 'out';
  readonly at: string;
  readonly type: string;
  /** Inbound: Meta's object under the type key (`{ body }` for text). Outbound: the whole sent content. */
  readonly content: unknown;
  readonly whatsappMessageId: string | null;
  readonly category: string | null;
  /** Outbound: queued, sending, accepted, failed, … (the send path's state). */
  readonly state: string | null;
  /** Outbound: pending, sent, delivered, read, played, failed (Meta's statuses). */
  readonly status: string | null;
  readonly statusHistory: readonly { readonly status: string; readonly at: string }[];
  readonly error: { readonly code: number | string; readonly detail: string } | null;
  readonly media: MessageMedia | null;
}

export const CONVERSATION_STATUSES = ['open', 'pending', 'snoozed', 'resolved'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

export interface ConversationLock {
  readonly holder: string;
  readonly since: string;
  readonly expiresAt: string;
}

/** What the inbox controls answer (`POST /v1/conversations/{id}/claim|assign|takeover|release|status`). */
export interface InboxControls {
  readonly assignee: string | null;
  readonly lock: ConversationLock | null;
  readonly status: ConversationStatus;
  readonly snoozedUntil: string | null;
}

/** `GET /v1/conversations/{id}`; the inbox fields arrive with a later API version and are optional here. */
export interface ConversationView {
  readonly id: string;
  readonly phoneNumberId: string | null;
  readonly customer: Customer;
  readonly window: {
    readonly service: WindowView;
    readonly freeEntryPoint: WindowView;
    readonly canSendFreeForm: boolean;
    readonly reason: string;
  };
  readonly messages: readonly Message[];
  readonly nextCursor: string | null;
  readonly assignee?: string | null;
  readonly lock?: ConversationLock | null;
  readonly status?: ConversationStatus;
  readonly snoozedUntil?: string | null;
}

/** `POST /v1/messages` → 202. */
export interface MessageQueued {
  readonly messageId: string;
  readonly conversationId: string;
  readonly state: string;
}

export type TextContent = { readonly type: 'text'; readonly text: { readonly body: string } };
export type TemplateContent = {
  readonly type: 'template';
  readonly template: {
    readonly name: string;
    readonly language: { readonly code: string };
    readonly components?: readonly Record<string, unknown>[];
  };
};

export interface SendBody {
  readonly from: string;
  readonly to?: string;
  readonly toUserId?: string;
  readonly category?: 'marketing' | 'utility' | 'authentication';
  readonly content: TextContent | TemplateContent;
}

export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';

/** Meta's template creation shape, as far as the inbox reads it. */
export interface TemplateComponent {
  readonly type: 'HEADER' | 'BODY' | 'FOOTER' | 'BUTTONS';
  readonly format?: string;
  readonly text?: string;
  readonly buttons?: readonly { readonly type: string; readonly text: string; readonly url?: string }[];
}

export interface TemplateDefinition {
  readonly name: string;
  readonly language: string;
  readonly category: TemplateCategory;
  readonly parameter_format?: 'positional' | 'named';
  readonly components: readonly TemplateComponent[];
}

/** An item of `GET /v1/templates` → `{ templates, total, nextCursor }`. */
export interface Template {
  readonly id: string;
  readonly wabaId: string;
  readonly name: string;
  readonly language: string;
  readonly category: TemplateCategory;
  readonly status: string;
  readonly definition: TemplateDefinition | null;
}

export interface TemplatePage {
  readonly templates: readonly Template[];
  readonly total: number;
  readonly nextCursor: string | null;
}

export interface TemplateValues {
  readonly header?: Readonly<Record<string, string>>;
  readonly body?: Readonly<Record<string, string>>;
  readonly buttons?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** `POST /v1/templates/{id}/preview` → 200. */
export interface TemplatePreview {
  readonly header: { readonly format: string; readonly text: string | null } | null;
  readonly body: string;
  readonly footer: string | null;
  readonly buttons: readonly { readonly type: string; readonly text: string }[];
}

// ---------------------------------------------------------------- quick replies (`/v1/quick-replies`)

export const QUICK_REPLY_SCOPES = ['shared', 'personal'] as const;
export type QuickReplyScope = (typeof QUICK_REPLY_SCOPES)[number];

/** An item of `GET /v1/quick-replies` → `{ items }` (the organisation's shared ones and the caller's own). */
export interface QuickReply {
  readonly id: string;
  readonly scope: QuickReplyScope;
  /** Lowercase `[a-z0-9_-]`, typed after `/` in the composer. */
  readonly shortcut: string;
  readonly title: string;
  /** With `{{contact.name}}`-style variables, filled in by the render endpoint. */
  readonly text: string;
  readonly variables: readonly string[];
  /** The user a personal one belongs to; null for shared ones. */
  readonly owner: string | null;
  /** A shared one hidden by the caller's personal one with the same shortcut. */
  readonly shadowed: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** `POST /v1/quick-replies` → 201 QuickReply. */
export interface QuickReplyDraft {
  readonly scope: QuickReplyScope;
  readonly shortcut: string;
  readonly title: string;
  readonly text: string;
}

/** `PATCH /v1/quick-replies/{id}` → 200 QuickReply (the scope cannot change). */
export type QuickReplyPatch = Partial<Omit<QuickReplyDraft, 'scope'>>;

/** `POST /v1/conversations/{id}/quick-replies/{quickReplyId}/render` → 200. */
export interface RenderedQuickReply {
  readonly text: string;
  /** The variables that had no value for this conversation (and no fallback), e.g. `contact.city`. */
  readonly missing: readonly string[];
}

/** Every API error: `{ error: { code, message, details? } }`. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

// ---------------------------------------------------------------- realtime (README "Realtime inbox events")

export type RealtimeEventType = 'message' | 'messageUpdated' | 'assignment' | 'conversationStatus';

export interface RealtimeEvent {
  readonly type: RealtimeEventType;
  readonly conversationId: string;
  readonly phoneNumberId: string;
  readonly customer: Customer;
  readonly message?: Message;
  readonly assignee?: string | null;
  readonly lock?: ConversationLock | null;
  readonly status?: ConversationStatus;
  readonly snoozedUntil?: string | null;
}

export type ServerFrame =
  | { readonly type: 'ready'; readonly userId: string; readonly orgId: string; readonly role: Role }
  | { readonly type: 'subscribed'; readonly scope: string; readonly id: string; readonly lastSeq: number }
  | { readonly type: 'event'; readonly seq: number; readonly at: string; readonly event: RealtimeEvent }
  | { readonly type: 'resync'; readonly reason: string; readonly lastSeq: number }
  | { readonly type: 'pong' }
  | { readonly type: 'error'; readonly code: string; readonly message: string }
  | TypingFrame
  | PresenceFrame;

/**
 * Someone else is typing in a conversation's composer: shown until `expiresAt` (ISO) or their next message there.
 * Not numbered (no seq) and never replayed.
 */
export interface TypingFrame {
  readonly type: 'typing';
  readonly conversationId: string;
  readonly phoneNumberId: string;
  readonly userId: string;
  readonly expiresAt: string;
}

/**
 * An operator of the organisation went online, away or offline (`at`: ISO, when the server saw the change). Not
 * numbered (no seq) and never replayed: after a reconnect the app reads `GET /v1/operators` again.
 */
export interface PresenceFrame {
  readonly type: 'presence';
  readonly userId: string;
  readonly presence: Presence;
  readonly at: string;
}

export type ClientFrame =
  | { readonly type: 'subscribe'; readonly scope: 'org'; readonly since?: number }
  | { readonly type: 'ping' }
  /** The signed-in user is typing a reply in this conversation (sent at most every TYPING_SEND_INTERVAL_MS). */
  | { readonly type: 'typing'; readonly conversationId: string };
