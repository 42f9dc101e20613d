import type { AuditActor } from '../org/org.messages.ts';

/**
 * The protocol of the `org-numbers` actor (one per organisation, id = org id): the WhatsApp business accounts and
 * phone numbers an organisation connected, their credentials (sealed by the HTTP layer before they get here: this
 * actor never sees a plaintext secret) and the organisation's webhook verify token.
 *
 * The HTTP layer checks the caller's permission (`numbers:read` / `numbers:manage`) before it asks; tenancy is
 * structural, since an organisation only ever reaches the actor of its own id.
 */
export const ORG_NUMBERS_KIND = 'org-numbers';

/** Connected numbers an organisation may hold at once. */
export const MAX_NUMBERS_PER_ORG = 50;

/** `cloud`: Meta's Cloud API with the organisation's own app. `simulator`: the bundled Cloud API simulator. */
export const NUMBER_MODES = ['cloud', 'simulator'] as const;
export type NumberMode = (typeof NUMBER_MODES)[number];

/** Meta's business profile fields (WhatsApp Business Profile object), all optional. */
export interface BusinessProfile {
  readonly about?: string;
  readonly address?: string;
  readonly description?: string;
  readonly email?: string;
  readonly websites?: readonly string[];
  readonly vertical?: string;
}

/** A WhatsApp business account's connection: which app, and its secrets as sealed strings. */
export interface WabaConnection {
  readonly wabaId: string;
  readonly mode: NumberMode;
  readonly appId: string | null;
  readonly appSecretSealed: string;
  readonly accessTokenSealed: string;
}

/** What Meta (or the simulator) said about the number when it was connected. */
export interface NumberFacts {
  readonly phoneNumberId: string;
  readonly displayPhoneNumber: string;
  readonly verifiedName: string | null;
  readonly qualityRating: string | null;
  readonly throughputLevel: string | null;
}

export type OrgNumbersMsg =
  /** Returns the organisation's webhook verify token, storing `proposed` if it has none yet. */
  | { readonly type: 'ensureWebhookToken'; readonly proposed: string }
  | { readonly type: 'rotateWebhookToken'; readonly verifyToken: string; readonly by: AuditActor }
  | {
      readonly type: 'connectNumber';
      readonly waba: WabaConnection;
      readonly number: NumberFacts;
      readonly displayName: string | null;
      readonly businessProfile: BusinessProfile;
      readonly by: AuditActor;
    }
  | {
      readonly type: 'updateNumber';
      readonly phoneNumberId: string;
      readonly displayName?: string | null;
      readonly businessProfile?: BusinessProfile;
    }
  | { readonly type: 'disconnectNumber'; readonly phoneNumberId: string; readonly by: AuditActor }
  | {
      readonly type: 'updateCredentials';
      readonly wabaId: string;
      readonly appId?: string | null;
      readonly appSecretSealed?: string;
      readonly accessTokenSealed?: string;
      readonly by: AuditActor;
    }
  | { readonly type: 'listNumbers' }
  | { readonly type: 'getNumber'; readonly phoneNumberId: string }
  | { readonly type: 'getWaba'; readonly wabaId: string }
  /** For the webhook endpoint: the verify token and every connected account's sealed app secret. */
  | { readonly type: 'getWebhookSecrets' }
  /** For the channel edge: how to send as this number. */
  | { readonly type: 'getSendCredentials'; readonly phoneNumberId: string };

/** A number as the API shows it: never a secret. */
export interface NumberView extends NumberFacts {
  readonly wabaId: string;
  readonly mode: NumberMode;
  readonly appId: string | null;
  readonly displayName: string | null;
  readonly businessProfile: BusinessProfile;
  readonly connectedAtMs: number;
  readonly updatedAtMs: number;
}

export interface Refused {
  readonly ok: false;
  readonly code: OrgNumbersErrorCode;
  readonly message: string;
}

export type OrgNumbersErrorCode =
  | 'PARLO_NUMBER_NOT_FOUND'
  | 'PARLO_NUMBER_ALREADY_CONNECTED'
  | 'PARLO_NUMBER_LIMIT_REACHED'
  | 'PARLO_WABA_NOT_FOUND'
  | 'PARLO_WABA_MODE_MISMATCH';

export interface OrgNumbersReplies {
  ensureWebhookToken: { ok: true; verifyToken: string };
  rotateWebhookToken: { ok: true; verifyToken: string };
  connectNumber: { ok: true; number: NumberView } | Refused;
  updateNumber: { ok: true; number: NumberView } | Refused;
  disconnectNumber: { ok: true; phoneNumberId: string; wabaId: string; wabaRemoved: boolean } | Refused;
  updateCredentials: { ok: true; wabaId: string } | Refused;
  listNumbers: { ok: true; numbers: readonly NumberView[] };
  getNumber: { ok: true; number: NumberView } | Refused;
  getWaba: { ok: true; waba: WabaConnection; phoneNumberIds: readonly string[] } | Refused;
  getWebhookSecrets: {
    ok: true;
    verifyToken: string | null;
    appSecrets: readonly { readonly wabaId: string; readonly sealed: string }[];
    /** The accounts whose events this organisation may receive. */
    phoneNumberIds: readonly string[];
    /** Display number → phone-number id (account-level webhooks such as quality name the display number only). */
    displayNumbers: Readonly<Record<string, string>>;
  };
  getSendCredentials: { ok: true; wabaId: string; mode: NumberMode; accessTokenSealed: string } | Refused;
}

export type OrgNumbersReply<T extends OrgNumbersMsg['type']> = OrgNumbersReplies[T];

/** The context a WABA secret is sealed under: a sealed value copied to another record does not open there. */
export function wabaSecretContext(orgId: string, wabaId: string, field: 'appSecret' | 'accessToken'): string {
  return `waba:${orgId}:${wabaId}:${field}`;
}
