/**
 * An in-memory `ChannelPort` test double: no network, deterministic ids, and the WhatsApp Cloud API's rules that
 * decide a send's outcome, so a test above the port sees what it would see from Meta (through the real adapter).
 * It passes the same contract suite as the adapter (`core/ports/channel.contract.ts`, STYLE rule 6).
 *
 * Modelled, with Meta's codes (WHATSAPP.md §0.3, §4.5, §5):
 * - accounts: a send or read receipt for an account the double does not know → `rejected` 100 (Graph's
 *   "object does not exist");
 * - the customer-service window: opened and reset by each customer message (`injectInbound`); free-form outside it
 *   is **accepted**, as Meta accepts it, and fails later: the double records the send as `failed:131047` (the
 *   status webhook Meta would send). Templates are fine outside the window;
 * - templates: unknown in that language or not approved → `rejected` 132001, paused 132015, disabled 132016, body
 *   parameter count different from the template's → 132000 (headers and buttons are not modelled);
 * - read receipts: only for an inbound message id → otherwise `rejected` 100 (Meta: "Please use an incoming
 *   message ID");
 * - request shape: recipient format and text length → 131009, a missing required field → 131008, a content type
 *   outside `capabilities.supportedContent` → 131051.
 *
 * Not modelled: throughput and pair-rate limits, messaging-limit tiers, media uploads (any media id is accepted),
 * pricing, delivery/read statuses. Script those outcomes with `refuseNextSend`. `maxRatePerSec` is ignored: the
 * double makes no calls, so there is nothing to space on a wire, and delaying sends would hang the tests above the
 * port that drive it with a clock that never moves (the contract's wire-pacing case is for adapters only).
 */
import type { ChannelContractHarness, ChannelContractSubject, AcceptedSend } from '../ports/channel.contract.ts';
import type {
  ChannelCapabilities,
  ChannelPort,
  OutboundContent,
  OutboundContentType,
  OutboundMessage,
  ReadReceipt,
  ReadReceiptOutcome,
  SendOutcome,
} from '../ports/channel.port.ts';
import { unreachable } from '../runtime/define-actor.ts';
import { SystemClock, type Clock } from '../time/clock.ts';

const HOUR_MS = 60 * 60 * 1000;

/** Meta's error codes the double answers with (WHATSAPP.md §5). */
export const MEMORY_CHANNEL_CODES = {
  invalidParameter: 100,
  requiredParameterMissing: 131008,
  parameterValueInvalid: 131009,
  reEngagement: 131047,
  unsupportedMessageType: 131051,
  templateParamCountMismatch: 132000,
  templateDoesNotExist: 132001,
  templatePaused: 132015,
  templateDisabled: 132016,
} as const;

/** Every content type of the port, as the Cloud API takes them. */
export const MEMORY_CHANNEL_CONTENT_TYPES: readonly OutboundContentType[] = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contacts',
  'reaction',
  'interactive',
  'template',
];

/** The WhatsApp Cloud API's capabilities (the adapter's are the same data; core cannot import them). */
export const MEMORY_CHANNEL_CAPABILITIES: ChannelCapabilities = {
  serviceWindowMs: 24 * HOUR_MS,
  freeEntryPointWindowMs: 72 * HOUR_MS,
  templateRequiredOutsideWindow: true,
  maxTextLength: 4096,
  supportedContent: MEMORY_CHANNEL_CONTENT_TYPES,
};

export const DEFAULT_MEMORY_ACCOUNT_ID = '106540352242922';

export type MemoryTemplateStatus = 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED';

/** One send the double accepted. */
export interface MemorySentRecord {
  readonly providerMessageId: string;
  readonly accountId: string;
  /** The recipient as Meta normalises it: digits (or the business-scoped user id). */
  readonly to: string;
  readonly messageKey: string;
  readonly replyToProviderMessageId?: string;
  readonly content: OutboundContent;
  readonly acceptedAtMs: number;
  /** `sent`, or `failed:<code>` when Meta would accept the send and fail it afterwards (131047). */
  readonly outcome: 'sent' | `failed:${number}`;
}

export interface MemoryInboundRecord {
  readonly providerMessageId: string;
  readonly accountId: string;
  readonly from: string;
  readonly atMs: number;
}

export interface MemoryReadReceiptRecord {
  readonly accountId: string;
  readonly providerMessageId: string;
  readonly showTyping: boolean;
  readonly atMs: number;
}

export interface MemoryChannelOptions {
  /** Drives the window; the system clock when absent (pass a FakeClock to move through 24 h). */
  readonly clock?: Pick<Clock, 'now'>;
  /** Accounts (WhatsApp phone-number ids) the double knows; `[DEFAULT_MEMORY_ACCOUNT_ID]` when absent. */
  readonly accountIds?: readonly string[];
  readonly name?: string;
  /** Overrides of the WhatsApp capabilities, e.g. `{ serviceWindowMs: null, templateRequiredOutsideWindow: false }`. */
  readonly capabilities?: Partial<ChannelCapabilities>;
}

type SendRefusal = Exclude<SendOutcome, { readonly outcome: 'accepted' }>;

export interface MemoryChannel extends ChannelContractSubject {
  readonly channel: ChannelPort;
  /** The first known account. */
  readonly accountId: string;
  readonly harness: ChannelContractHarness;
  /** Accepted sends, in order (refused ones are not here). */
  readonly sent: readonly MemorySentRecord[];
  readonly inbound: readonly MemoryInboundRecord[];
  readonly readReceipts: readonly MemoryReadReceiptRecord[];
  /** A customer message from `from` (digits) to `accountId`: opens or resets the window; returns its id. */
  injectInbound(from: string, options?: { accountId?: string }): string;
  isWindowOpen(to: string, accountId?: string): boolean;
  addAccount(accountId: string): void;
  /** Creates or replaces a template (status APPROVED unless given) with `bodyParamCount` body variables. */
  setTemplate(
    name: string,
    language: string,
    template: { bodyParamCount: number; status?: MemoryTemplateStatus },
  ): void;
  /** The next send answers `refusal` (retry, slowDown, …) without being recorded; queued in call order. */
  refuseNextSend(refusal: SendRefusal): void;
}

const PHONE = /^\+?\d{5,15}$/;
/** Business-scoped user id (WHATSAPP.md §0.7). */
const BSUID = /^[A-Z]{2}\.[A-Za-z0-9]{1,128}$/;

/** An in-memory ChannelPort plus the controls a test needs; it is itself a contract subject. */
export function createMemoryChannel(options: MemoryChannelOptions = {}): MemoryChannel {
  const clock = options.clock ?? new SystemClock();
  const capabilities: ChannelCapabilities = { ...MEMORY_CHANNEL_CAPABILITIES, ...options.capabilities };
  const accounts = new Set(options.accountIds ?? [DEFAULT_MEMORY_ACCOUNT_ID]);
  const firstAccount = [...accounts][0];
  if (firstAccount === undefined) throw new Error('createMemoryChannel: accountIds must not be empty');
  const sent: MemorySentRecord[] = [];
  const inbound: MemoryInboundRecord[] = [];
  const readReceipts: MemoryReadReceiptRecord[] = [];
  const inboundIds = new Set<string>();
  /** `${accountId}:${waId}` → last customer message time. */
  const lastInboundAtMs = new Map<string, number>();
  const templates = new Map<string, { bodyParamCount: number; status: MemoryTemplateStatus }>();
  const scripted: SendRefusal[] = [];
  let seq = 0;

  const nextId = (direction: 'in' | 'out'): string =>
    `wamid.memory.${direction}.${(seq++).toString(36).padStart(6, '0')}`;
  const windowKey = (accountId: string, waId: string): string => `${accountId}:${waId}`;
  const templateKey = (name: string, language: string): string => `${name}\u0000${language}`;

  function isWindowOpen(to: string, accountId = firstAccount!): boolean {
    if (capabilities.serviceWindowMs === null) return true;
    const at = lastInboundAtMs.get(windowKey(accountId, normalize(to)));
    return at !== undefined && clock.now() - at < capabilities.serviceWindowMs;
  }

  function injectInbound(from: string, injectOptions: { accountId?: string } = {}): string {
    const accountId = injectOptions.accountId ?? firstAccount!;
    if (!accounts.has(accountId)) throw new Error(`memory channel: unknown account ${accountId}`);
    const waId = normalize(from);
    const providerMessageId = nextId('in');
    const atMs = clock.now();
    lastInboundAtMs.set(windowKey(accountId, waId), atMs);
    inboundIds.add(providerMessageId);
    inbound.push({ providerMessageId, accountId, from: waId, atMs });
    return providerMessageId;
  }

  function setTemplate(
    name: string,
    language: string,
    template: { bodyParamCount: number; status?: MemoryTemplateStatus },
  ): void {
    templates.set(templateKey(name, language), {
      bodyParamCount: template.bodyParamCount,
      status: template.status ?? 'APPROVED',
    });
  }

  function checkTemplate(content: Extract<OutboundContent, { type: 'template' }>): SendRefusal | undefined {
    const { name, language } = content.template;
    if (!name) return missing('template.name');
    if (!language?.code) return missing('template.language.code');
    const template = templates.get(templateKey(name, language.code));
    if (template === undefined) {
      return refuse(
        MEMORY_CHANNEL_CODES.templateDoesNotExist,
        `template.name: template name (${name}) does not exist in ${language.code}`,
      );
    }
    switch (template.status) {
      case 'APPROVED':
        break;
      case 'PAUSED':
        return refuse(MEMORY_CHANNEL_CODES.templatePaused, `template ${name} (${language.code}) is paused`);
      case 'DISABLED':
        return refuse(MEMORY_CHANNEL_CODES.templateDisabled, `template ${name} (${language.code}) is disabled`);
      case 'PENDING':
      case 'REJECTED':
        return refuse(
          MEMORY_CHANNEL_CODES.templateDoesNotExist,
          `template ${name} (${language.code}) is not approved (status ${template.status})`,
        );
      default:
        return unreachable(template.status);
    }
    const body = (content.template.components ?? []).find((c) => String(c['type']).toLowerCase() === 'body');
    const parameters = body?.['parameters'];
    const given = Array.isArray(parameters) ? parameters.length : 0;
    if (given !== template.bodyParamCount) {
      return refuse(
        MEMORY_CHANNEL_CODES.templateParamCountMismatch,
        `body: number of localizable_params (${given}) does not match the expected number of params (${template.bodyParamCount})`,
      );
    }
    return undefined;
  }

  function checkContent(content: OutboundContent): SendRefusal | undefined {
    if (!capabilities.supportedContent.includes(content.type)) {
      return refuse(MEMORY_CHANNEL_CODES.unsupportedMessageType, `type: ${content.type} is not supported`);
    }
    switch (content.type) {
      case 'text':
        if (!content.text.body) return missing('text.body');
        if ([...content.text.body].length > capabilities.maxTextLength) {
          return refuse(
            MEMORY_CHANNEL_CODES.parameterValueInvalid,
            `text.body: must be at most ${capabilities.maxTextLength} characters long`,
          );
        }
        return undefined;
      case 'image':
        return checkMedia('image', content.image);
      case 'video':
        return checkMedia('video', content.video);
      case 'audio':
        return checkMedia('audio', content.audio);
      case 'document':
        return checkMedia('document', content.document);
      case 'sticker':
        return checkMedia('sticker', content.sticker);
      case 'location':
        return Number.isFinite(content.location.latitude) && Number.isFinite(content.location.longitude)
          ? undefined
          : missing('location.latitude');
      case 'contacts':
        return content.contacts.length > 0
          ? undefined
          : refuse(MEMORY_CHANNEL_CODES.parameterValueInvalid, 'contacts: must contain at least one contact');
      case 'reaction':
        return content.reaction.message_id ? undefined : missing('reaction.message_id');
      case 'interactive':
        return content.interactive.type ? undefined : missing('interactive.type');
      case 'template':
        return checkTemplate(content);
      default:
        return unreachable(content);
    }
  }

  const channel: ChannelPort = {
    name: options.name ?? 'memory',
    capabilities,

    async send(message: OutboundMessage): Promise<SendOutcome> {
      const script = scripted.shift();
      if (script !== undefined) return script;
      if (!accounts.has(message.accountId)) return unknownObject(message.accountId);
      if (!PHONE.test(message.to) && !BSUID.test(message.to)) {
        return refuse(MEMORY_CHANNEL_CODES.parameterValueInvalid, `to: "${message.to}" is not a valid recipient`);
      }
      const refusal = checkContent(message.content);
      if (refusal !== undefined) return refusal;

      const to = normalize(message.to);
      const isTemplate = message.content.type === 'template';
      const needsWindow = capabilities.templateRequiredOutsideWindow && !isTemplate;
      // Meta accepts free-form outside the window and fails it afterwards with 131047 (WHATSAPP.md §4.5).
      const outcome =
        needsWindow && !isWindowOpen(to, message.accountId)
          ? (`failed:${MEMORY_CHANNEL_CODES.reEngagement}` as const)
          : ('sent' as const);
      const providerMessageId = nextId('out');
      sent.push({
        providerMessageId,
        accountId: message.accountId,
        to,
        messageKey: message.messageKey,
        ...(message.replyToProviderMessageId === undefined
          ? {}
          : { replyToProviderMessageId: message.replyToProviderMessageId }),
        content: message.content,
        acceptedAtMs: clock.now(),
        outcome,
      });
      return {
        outcome: 'accepted',
        providerMessageId,
        recipientId: to,
        ...(isTemplate ? { providerStatus: 'accepted' as const } : {}),
      };
    },

    async markRead(receipt: ReadReceipt): Promise<ReadReceiptOutcome> {
      if (!accounts.has(receipt.accountId)) return unknownObject(receipt.accountId);
      if (!inboundIds.has(receipt.providerMessageId)) {
        return refuse(
          MEMORY_CHANNEL_CODES.invalidParameter,
          `Message supplied to mark message as read API with message ID: ${receipt.providerMessageId} is outgoing or unknown. Please use an incoming message ID.`,
        );
      }
      readReceipts.push({
        accountId: receipt.accountId,
        providerMessageId: receipt.providerMessageId,
        showTyping: receipt.showTyping === true,
        atMs: clock.now(),
      });
      return { outcome: 'accepted' };
    },
  };

  const harness: ChannelContractHarness = {
    async openServiceWindow(to) {
      return injectInbound(to);
    },
    async approveTemplate(name, language, bodyParamCount) {
      setTemplate(name, language, { bodyParamCount });
    },
    async acceptedSends(): Promise<AcceptedSend[]> {
      return sent.map((s) => ({ providerMessageId: s.providerMessageId, to: s.to, messageKey: s.messageKey }));
    },
  };

  return {
    channel,
    accountId: firstAccount,
    harness,
    sent,
    inbound,
    readReceipts,
    injectInbound,
    isWindowOpen,
    addAccount: (accountId) => {
      accounts.add(accountId);
    },
    setTemplate,
    refuseNextSend: (refusal) => {
      scripted.push(refusal);
    },
    cleanup: async () => {},
  };
}

/** Meta normalises the recipient to digits; business-scoped user ids pass through. */
function normalize(to: string): string {
  return BSUID.test(to) ? to : to.replace(/\D/g, '');
}

function refuse(code: number, detail: string): { outcome: 'rejected'; code: number; detail: string } {
  return { outcome: 'rejected', code, detail };
}

function missing(path: string): SendRefusal {
  return refuse(MEMORY_CHANNEL_CODES.requiredParameterMissing, `${path}: Required parameter is missing`);
}

function checkMedia(kind: string, media: { readonly id?: string; readonly link?: string }): SendRefusal | undefined {
  const hasId = Boolean(media.id);
  const hasLink = Boolean(media.link);
  if (!hasId && !hasLink) return missing(`${kind}: either id or link is required`);
  if (hasId && hasLink) return refuse(MEMORY_CHANNEL_CODES.parameterValueInvalid, `${kind}: provide id or link`);
  return undefined;
}

/** Graph's answer for an unknown path object (WHATSAPP.md §1.4: code 100, subcode 33). */
function unknownObject(accountId: string): { outcome: 'rejected'; code: number; detail: string } {
  return refuse(
    MEMORY_CHANNEL_CODES.invalidParameter,
    `Unsupported post request. Object with ID '${accountId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
  );
}
