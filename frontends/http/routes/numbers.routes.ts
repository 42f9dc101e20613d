import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ParloError, type ActorSystem, type SecretBox } from '../../../core/index.ts';
import type { AuditActor } from '../../../actors/org/org.messages.ts';
import {
  NUMBER_DIRECTORY_KIND,
  type NumberDirectoryMsg,
  type NumberDirectoryReply,
} from '../../../actors/numbers/number-directory.actor.ts';
import {
  ORG_NUMBERS_KIND,
  wabaSecretContext,
  type NumberFacts,
  type NumberView,
  type OrgNumbersMsg,
  type OrgNumbersReply,
} from '../../../actors/numbers/numbers.messages.ts';
import type {
  BusinessProfileFields,
  GraphCallFailure,
  NumberAdminOptions,
  PhoneNumberLookup,
  ProfileUpdate,
} from '../../../adapters/whatsapp-cloud/number-admin.ts';
import {
  MARKETING_PAUSE_REASONS,
  NUMBER_KIND,
  type MarketingPause,
  type NumberMsg,
  type NumberReplies,
} from '../../../actors/number/number.messages.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { callerOf, okOrThrow, type ApiCaller } from '../auth/caller.ts';
import { iso } from './identity.routes.ts';

/**
 * WhatsApp business accounts and phone numbers of the caller's organisation, and the webhook settings to paste
 * into Meta. Cloud API credentials are checked against the Graph API before anything is stored, sealed with the
 * SecretBox (AES-256-GCM, key from config) and never returned.
 */

/** A simulated number provisioned in the bundled simulator, with the credentials generated for it. */
export interface ProvisionedNumber {
  readonly wabaId: string;
  readonly appSecret: string;
  readonly accessToken: string;
  readonly number: NumberFacts;
}

/** Creates numbers in the bundled Cloud API simulator (absent when Parlo talks to Meta). */
export interface SimulatorNumbers {
  provision(input: { readonly orgId: string; readonly displayPhoneNumber?: string }): Promise<ProvisionedNumber>;
  /** Records (or forgets) a simulated number so it is registered again after a restart. */
  remember(input: { readonly orgId: string; readonly wabaId: string; readonly phoneNumberId: string }): Promise<void>;
  forget(phoneNumberId: string): Promise<void>;
}

export interface NumbersRoutesDeps {
  readonly system: ActorSystem;
  readonly secretBox: SecretBox;
  /** Where Meta reaches this installation, e.g. `https://parlo.example.com` (read per request: known after listen). */
  readonly publicBaseUrl: () => string;
  /** Path of the per-organisation webhook, without the org id: `/webhooks/whatsapp`. */
  readonly webhookPath: string;
  /** Graph API used to check cloud credentials. */
  readonly graph: { readonly baseUrl: string; readonly apiVersion: string };
  readonly lookupNumber: (options: NumberAdminOptions) => Promise<PhoneNumberLookup>;
  /** Sets the business profile at Meta (or the simulator) before Parlo stores it. */
  readonly updateProfile: (
    options: NumberAdminOptions & { readonly profile: BusinessProfileFields },
  ) => Promise<ProfileUpdate>;
  readonly simulator?: SimulatorNumbers;
  /** Called after an organisation's webhook secrets changed (a node-local cache may hold the old ones). */
  readonly onWebhookSecretsChanged?: (orgId: string) => void;
}

/** Webhook fields to subscribe the app to in Meta's dashboard (WHATSAPP.md §3). */
export const WEBHOOK_FIELDS = [
  'messages',
  'message_template_status_update',
  'message_template_quality_update',
  'phone_number_quality_update',
  'account_update',
  'user_preferences',
] as const;

// ---------------------------------------------------------------- schemas

/** Meta's industry list (WhatsAppBusinessVertical, Graph API v23.0). */
const BUSINESS_VERTICALS = [
  'OTHER',
  'AUTO',
  'BEAUTY',
  'APPAREL',
  'EDU',
  'ENTERTAIN',
  'EVENT_PLAN',
  'FINANCE',
  'GROCERY',
  'GOVT',
  'HOTEL',
  'HEALTH',
  'NONPROFIT',
  'PROF_SERVICES',
  'RETAIL',
  'TRAVEL',
  'RESTAURANT',
  'ALCOHOL',
  'ONLINE_GAMBLING',
  'PHYSICAL_GAMBLING',
  'OTC_DRUGS',
] as const;

const GraphId = z.string().regex(/^[0-9]{5,25}$/, 'must be a Meta id (5–25 digits)');
const DisplayName = z.string().trim().min(1).max(100);

const BusinessProfile = z
  .object({
    about: z.string().trim().min(1).max(139).optional(),
    address: z.string().trim().max(256).optional(),
    description: z.string().trim().max(256).optional(),
    email: z.email().max(128).optional(),
    websites: z
      .array(z.url({ protocol: /^https?$/ }).max(256))
      .max(2)
      .optional(),
    vertical: z.enum(BUSINESS_VERTICALS).optional(),
  })
  .strict()
  .meta({ id: 'BusinessProfile', description: "Meta's WhatsApp business profile fields (limits as Meta's)." });

/** The profile as stored and shown (what was accepted by BusinessProfile). */
const BusinessProfileView = z
  .object({
    about: z.string().optional(),
    address: z.string().optional(),
    description: z.string().optional(),
    email: z.string().optional(),
    websites: z.array(z.string()).optional(),
    vertical: z.string().optional(),
  })
  .meta({ id: 'BusinessProfileView' });

const ConnectCloud = z.object({
  mode: z.literal('cloud'),
  wabaId: GraphId.describe('WhatsApp business account id'),
  phoneNumberId: GraphId.describe('Phone-number id (not the phone number itself)'),
  appId: GraphId.describe('Meta app id whose webhooks this organisation receives'),
  appSecret: z.string().min(16).max(256).describe('App secret: verifies the X-Hub-Signature-256 of webhooks'),
  accessToken: z.string().min(20).max(4096).describe('System-user access token with whatsapp_business_messaging'),
  displayName: DisplayName.optional(),
  businessProfile: BusinessProfile.optional(),
});

const ConnectSimulator = z.object({
  mode: z.literal('simulator'),
  displayPhoneNumber: z
    .string()
    .regex(/^[1-9][0-9]{7,14}$/, 'must be an E.164 number without +, 8–15 digits')
    .optional(),
  displayName: DisplayName.optional(),
  businessProfile: BusinessProfile.optional(),
});

const ConnectBody = z.discriminatedUnion('mode', [ConnectCloud, ConnectSimulator]);

const WebhookSettings = z
  .object({
    url: z.string().describe('Callback URL to paste into the Meta app dashboard (WhatsApp → Configuration)'),
    verifyToken: z.string().describe('Verify token to paste next to it'),
    fields: z.array(z.string()).describe('Webhook fields to subscribe'),
  })
  .meta({ id: 'WhatsAppWebhookSettings' });

const PhoneNumber = z
  .object({
    phoneNumberId: z.string(),
    wabaId: z.string(),
    mode: z.enum(['cloud', 'simulator']),
    appId: z.string().nullable(),
    displayPhoneNumber: z.string(),
    verifiedName: z.string().nullable(),
    displayName: z.string().nullable(),
    qualityRating: z.string().nullable(),
    throughputLevel: z.string().nullable(),
    businessProfile: BusinessProfileView,
    connectedAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'PhoneNumber' });

const Connected = z.object({ number: PhoneNumber, webhook: WebhookSettings }).meta({ id: 'PhoneNumberConnected' });

function numberBody(n: NumberView): z.input<typeof PhoneNumber> {
  return {
    phoneNumberId: n.phoneNumberId,
    wabaId: n.wabaId,
    mode: n.mode,
    appId: n.appId,
    displayPhoneNumber: n.displayPhoneNumber,
    verifiedName: n.verifiedName,
    displayName: n.displayName,
    qualityRating: n.qualityRating,
    throughputLevel: n.throughputLevel,
    businessProfile: profileBody(n.businessProfile),
    connectedAt: iso(n.connectedAtMs),
    updatedAt: iso(n.updatedAtMs),
  };
}

// ---------------------------------------------------------------- helpers

function profileBody(profile: NumberView['businessProfile']): z.input<typeof BusinessProfileView> {
  const { websites, ...rest } = profile;
  return websites === undefined ? rest : { ...rest, websites: [...websites] };
}

export function auditActorOf(caller: ApiCaller): AuditActor {
  return caller.kind === 'user' ? { kind: 'user', id: caller.userId } : { kind: 'apiKey', id: caller.keyId };
}

/** A verify token for Meta's handshake: 32 URL-safe characters. */
export function newVerifyToken(): string {
  return randomBytes(24).toString('base64url');
}

function lookupFailure(result: GraphCallFailure, phoneNumberId: string): ParloError {
  switch (result.reason) {
    case 'invalidParameter':
      return new ParloError('PARLO_BUSINESS_PROFILE_REJECTED', `Meta refused the business profile: ${result.detail}`, [
        { location: 'body', path: 'businessProfile', rule: 'acceptedByMeta', message: result.detail },
      ]);
    case 'credentialsRejected':
      return new ParloError('PARLO_NUMBER_CREDENTIALS_REJECTED', `Meta refused the access token: ${result.detail}`, [
        { location: 'body', path: 'accessToken', rule: 'acceptedByMeta', message: result.detail },
      ]);
    case 'unknownNumber':
      return new ParloError(
        'PARLO_NUMBER_UNKNOWN_AT_META',
        `Meta does not show phone number ${phoneNumberId} to this token: ${result.detail}`,
        [{ location: 'body', path: 'phoneNumberId', rule: 'knownToMeta', message: result.detail }],
      );
    case 'unreachable':
      return new ParloError('PARLO_META_UNREACHABLE', `the credentials could not be checked: ${result.detail}`);
  }
}

export function numberRoutes(deps: NumbersRoutesDeps): ApiRoute[] {
  const { system, secretBox } = deps;
  const numbers = <T extends OrgNumbersMsg['type']>(orgId: string, msg: Extract<OrgNumbersMsg, { type: T }>) =>
    system.ask<OrgNumbersReply<T>>({ kind: ORG_NUMBERS_KIND, id: orgId }, msg);
  const directory = <T extends NumberDirectoryMsg['type']>(
    phoneNumberId: string,
    msg: Extract<NumberDirectoryMsg, { type: T }>,
  ) => system.ask<NumberDirectoryReply<T>>({ kind: NUMBER_DIRECTORY_KIND, id: phoneNumberId }, msg);

  const graphOf = (accessToken: string, phoneNumberId: string): NumberAdminOptions => ({
    baseUrl: deps.graph.baseUrl,
    apiVersion: deps.graph.apiVersion,
    accessToken,
    phoneNumberId,
  });

  async function webhookSettings(orgId: string): Promise<z.input<typeof WebhookSettings>> {
    const { verifyToken } = await numbers<'ensureWebhookToken'>(orgId, {
      type: 'ensureWebhookToken',
      proposed: newVerifyToken(),
    });
    return { url: `${deps.publicBaseUrl()}${deps.webhookPath}/${orgId}`, verifyToken, fields: [...WEBHOOK_FIELDS] };
  }

  const getWebhook = defineRoute({
    method: 'GET',
    url: '/whatsapp/webhook',
    operationId: 'getWhatsAppWebhook',
    summary: "The organisation's webhook URL and verify token, to paste into the Meta app dashboard",
    tags: ['numbers'],
    auth: 'any',
    scopes: ['numbers:manage'],
    responses: { 200: WebhookSettings },
    async handler({ request }) {
      return { status: 200, body: await webhookSettings(callerOf(request).orgId) };
    },
  });

  const rotateWebhookToken = defineRoute({
    method: 'POST',
    url: '/whatsapp/webhook/rotate-verify-token',
    operationId: 'rotateWhatsAppVerifyToken',
    summary: 'Replace the webhook verify token (paste the new one into Meta before Meta verifies again)',
    tags: ['numbers'],
    auth: 'any',
    scopes: ['numbers:manage'],
    responses: { 200: WebhookSettings },
    async handler({ request }) {
      const caller = callerOf(request);
      await numbers<'rotateWebhookToken'>(caller.orgId, {
        type: 'rotateWebhookToken',
        verifyToken: newVerifyToken(),
        by: auditActorOf(caller),
      });
      deps.onWebhookSecretsChanged?.(caller.orgId);
      return { status: 200, body: await webhookSettings(caller.orgId) };
    },
  });

  const connectNumber = defineRoute({
    method: 'POST',
    url: '/numbers',
    operationId: 'connectNumber',
    summary: 'Connect a WhatsApp phone number (Cloud API credentials, or a number of the bundled simulator)',
    description:
      'Cloud: the access token is checked against the Graph API (the number must be visible to it) before anything is stored; the app secret and token are stored encrypted and never returned. Simulator: Parlo creates the number in its bundled simulator, whose webhooks come to this organisation. The answer carries the webhook URL and verify token for Meta.',
    tags: ['numbers'],
    auth: 'any',
    scopes: ['numbers:manage'],
    body: ConnectBody,
    responses: { 201: Connected },
    async handler({ body, request }) {
      const caller = callerOf(request);
      const orgId = caller.orgId;
      let wabaId: string;
      let appId: string | null;
      let appSecret: string;
      let accessToken: string;
      let facts: NumberFacts;
      if (body.mode === 'cloud') {
        const lookup = await deps.lookupNumber(graphOf(body.accessToken, body.phoneNumberId));
        if (!lookup.ok) throw lookupFailure(lookup, body.phoneNumberId);
        ({ wabaId, appId, appSecret, accessToken } = body);
        facts = { phoneNumberId: body.phoneNumberId, ...lookup.info };
      } else {
        if (!deps.simulator) {
          throw new ParloError(
            'PARLO_SIMULATOR_UNAVAILABLE',
            'this installation talks to Meta (whatsapp.mode cloud): connect a number with mode "cloud"',
          );
        }
        const provisioned = await deps.simulator.provision({
          orgId,
          ...(body.displayPhoneNumber === undefined ? {} : { displayPhoneNumber: body.displayPhoneNumber }),
        });
        ({ wabaId, appSecret, accessToken } = provisioned);
        appId = null;
        facts = provisioned.number;
      }
      if (body.businessProfile !== undefined) {
        const pushed = await deps.updateProfile({
          ...graphOf(accessToken, facts.phoneNumberId),
          profile: body.businessProfile,
        });
        if (!pushed.ok) throw lookupFailure(pushed, facts.phoneNumberId);
      }
      const webhook = await webhookSettings(orgId);
      const claim = await directory<'claim'>(facts.phoneNumberId, { type: 'claim', orgId, wabaId });
      okOrThrow(claim);
      const connected = await numbers<'connectNumber'>(orgId, {
        type: 'connectNumber',
        waba: {
          wabaId,
          mode: body.mode,
          appId,
          appSecretSealed: secretBox.seal(appSecret, wabaSecretContext(orgId, wabaId, 'appSecret')),
          accessTokenSealed: secretBox.seal(accessToken, wabaSecretContext(orgId, wabaId, 'accessToken')),
        },
        number: facts,
        displayName: body.displayName ?? null,
        businessProfile: body.businessProfile ?? {},
        by: auditActorOf(caller),
      });
      if (!connected.ok && claim.ok && !claim.alreadyOurs) {
        await directory<'release'>(facts.phoneNumberId, { type: 'release', orgId });
      }
      const { number } = okOrThrow(connected);
      if (body.mode === 'simulator') {
        await deps.simulator?.remember({ orgId, wabaId, phoneNumberId: number.phoneNumberId });
      }
      deps.onWebhookSecretsChanged?.(orgId);
      return { status: 201, body: { number: numberBody(number), webhook } };
    },
  });

  const listNumbers = defineRoute({
    method: 'GET',
    url: '/numbers',
    operationId: 'listNumbers',
    summary: 'The connected phone numbers of the organisation',
    tags: ['numbers'],
    auth: 'any',
    scopes: ['numbers:read'],
    responses: { 200: z.object({ data: z.array(PhoneNumber) }) },
    async handler({ request }) {
      const { numbers: list } = await numbers<'listNumbers'>(callerOf(request).orgId, { type: 'listNumbers' });
      return { status: 200, body: { data: list.map(numberBody) } };
    },
  });

  const NumberParams = z.object({ phoneNumberId: GraphId });

  const getNumber = defineRoute({
    method: 'GET',
    url: '/numbers/:phoneNumberId',
    operationId: 'getNumber',
    summary: 'One connected phone number',
    tags: ['numbers'],
    auth: 'any',
    scopes: ['numbers:read'],
    params: NumberParams,
    responses: { 200: PhoneNumber },
    async handler({ params, request }) {
      const { number } = okOrThrow(
        await numbers<'getNumber'>(callerOf(request).orgId, { type: 'getNumber', phoneNumberId: params.phoneNumberId }),
      );
      return { status: 200, body: numberBody(number) };
    },
  });

  const Pause = z
    .object({
      reason: z.enum(MARKETING_PAUSE_REASONS),
      since: z.string(),
      signal: z.string().nullable().describe('negativeFeedback: the signal whose rate is too high'),
      ratePercent: z.number().nullable(),
      thresholdPercent: z.number().nullable(),
    })
    .meta({ id: 'MarketingPause' });
  const SendingState = z
    .object({
      phoneNumberId: z.string(),
      ratePerSec: z.number().describe("The number's throughput (msg/s) as Meta set it"),
      effectiveRatePerSec: z.number().describe('The rate sends are released at now (lower after a 130429)'),
      throughputLevel: z.string().nullable(),
      quality: z.string(),
      queued: z.number().int(),
      queuedByPriority: z.record(z.string(), z.number().int()),
      waitingForPairRate: z.number().int(),
      granted: z.number().int(),
      marketingPauses: z.array(Pause),
    })
    .meta({ id: 'NumberSendingState' });

  function pauseBody(pause: MarketingPause): z.infer<typeof Pause> {
    const breach = pause.reason === 'negativeFeedback' ? pause.breach : null;
    return {
      reason: pause.reason,
      since: iso(pause.sinceMs),
      signal: breach?.signal ?? null,
      ratePercent: breach?.ratePercent ?? null,
      thresholdPercent: breach?.thresholdPercent ?? null,
    };
  }

  /** The number's actor, once the number is known to be one of the caller's organisation (404 otherwise). */
  async function ownNumber(orgId: string, phoneNumberId: string): Promise<{ kind: string; id: string }> {
    okOrThrow(await numbers<'getNumber'>(orgId, { type: 'getNumber', phoneNumberId }));
    return { kind: NUMBER_KIND, id: phoneNumberId };
  }

  const getSendingState = defineRoute({
    method: 'GET',
    url: '/numbers/:phoneNumberId/sending',
    operationId: 'getNumberSendingState',
    summary: "The number's send pacing: throughput, queue, quality and marketing pauses",
    tags: ['numbers'],
    auth: 'any',
    scopes: ['numbers:read'],
    params: NumberParams,
    responses: { 200: SendingState },
    async handler({ params, request }) {
      const address = await ownNumber(callerOf(request).orgId, params.phoneNumberId);
      const { state } = await deps.system.ask<NumberReplies['getNumberState']>(address, { type: 'getNumberState' });
      return {
        status: 200,
        body: {
          phoneNumberId: params.phoneNumberId,
          ratePerSec: state.ratePerSec,
          effectiveRatePerSec: state.effectiveRatePerSec,
          throughputLevel: state.throughputLevel,
          quality: state.quality,
          queued: state.queued,
          queuedByPriority: state.queuedByPriority,
          waitingForPairRate: state.waitingForPairRate,
          granted: state.granted,
          marketingPauses: state.marketingPauses.map(pauseBody),
        },
      };
    },
  });

  const resumeMarketing = defineRoute({
    method: 'POST',
    url: '/numbers/:phoneNumberId/marketing/resume',
    operationId: 'resumeNumberMarketing',
    summary: 'Resume marketing sends paused for negative feedback or quality (all reasons, or the ones named)',
    tags: ['numbers'],
    auth: 'any',
    scopes: ['numbers:manage'],
    params: NumberParams,
    body: z
      .object({ reasons: z.array(z.enum(MARKETING_PAUSE_REASONS)).min(1).optional() })
      .strict()
      .meta({ id: 'ResumeMarketing' }),
    responses: {
      200: z
        .object({
          ended: z.array(z.enum(MARKETING_PAUSE_REASONS)),
          stillPausedBy: z.array(z.enum(MARKETING_PAUSE_REASONS)),
        })
        .meta({ id: 'MarketingResumed' }),
    },
    async handler({ params, body, request }) {
      const caller = callerOf(request);
      const address = await ownNumber(caller.orgId, params.phoneNumberId);
      const by = auditActorOf(caller);
      const msg: NumberMsg = {
        type: 'resumeMarketing',
        by: `${by.kind}:${by.id}`,
        ...(body.reasons === undefined ? {} : { reasons: body.reasons }),
      };
      const resumed = await deps.system.ask<NumberReplies['resumeMarketing']>(address, msg);
      return { status: 200, body: { ended: [...resumed.ended], stillPausedBy: [...resumed.stillPausedBy] } };
    },
  });

  const updateNumber = defineRoute({
    method: 'PATCH',
    url: '/numbers/:phoneNumberId',
    operationId: 'updateNumber',
    summary: "Change a number's display name (in Parlo) or its business profile (set at Meta first)",
    tags: ['numbers'],
    auth: 'any',
    scopes: ['numbers:manage'],
    params: NumberParams,
    body: z
      .object({ displayName: DisplayName.nullable().optional(), businessProfile: BusinessProfile.optional() })
      .refine((b) => b.displayName !== undefined || b.businessProfile !== undefined, {
        message: 'give displayName or businessProfile',
      }),
    responses: { 200: PhoneNumber },
    async handler({ params, body, request }) {
      const orgId = callerOf(request).orgId;
      if (body.businessProfile !== undefined) {
        const credentials = okOrThrow(
          await numbers<'getSendCredentials'>(orgId, {
            type: 'getSendCredentials',
            phoneNumberId: params.phoneNumberId,
          }),
        );
        const accessToken = secretBox.open(
          credentials.accessTokenSealed,
          wabaSecretContext(orgId, credentials.wabaId, 'accessToken'),
        );
        const pushed = await deps.updateProfile({
          ...graphOf(accessToken, params.phoneNumberId),
          profile: body.businessProfile,
        });
        if (!pushed.ok) throw lookupFailure(pushed, params.phoneNumberId);
      }
      const { number } = okOrThrow(
        await numbers<'updateNumber'>(orgId, {
          type: 'updateNumber',
          phoneNumberId: params.phoneNumberId,
          ...(body.displayName === undefined ? {} : { displayName: body.displayName }),
          ...(body.businessProfile === undefined ? {} : { businessProfile: body.businessProfile }),
        }),
      );
      return { status: 200, body: numberBody(number) };
    },
  });

  const disconnectNumber = defineRoute({
    method: 'DELETE',
    url: '/numbers/:phoneNumberId',
    operationId: 'disconnectNumber',
    summary: "Disconnect a phone number; its account's secrets are deleted with its last number",
    tags: ['numbers'],
    auth: 'any',
    scopes: ['numbers:manage'],
    params: NumberParams,
    responses: { 204: null },
    async handler({ params, request }) {
      const caller = callerOf(request);
      const gone = okOrThrow(
        await numbers<'disconnectNumber'>(caller.orgId, {
          type: 'disconnectNumber',
          phoneNumberId: params.phoneNumberId,
          by: auditActorOf(caller),
        }),
      );
      await directory<'release'>(gone.phoneNumberId, { type: 'release', orgId: caller.orgId });
      await deps.simulator?.forget(gone.phoneNumberId);
      deps.onWebhookSecretsChanged?.(caller.orgId);
      return { status: 204 };
    },
  });

  const updateCredentials = defineRoute({
    method: 'PUT',
    url: '/whatsapp-accounts/:wabaId/credentials',
    operationId: 'updateWhatsAppCredentials',
    summary: "Replace a business account's access token, app secret or app id (e.g. after a rotation at Meta)",
    description:
      'A new access token is checked against the Graph API with one of the account’s numbers before it is stored. Simulator accounts are managed by Parlo and refuse this.',
    tags: ['numbers'],
    auth: 'any',
    scopes: ['numbers:manage'],
    params: z.object({ wabaId: GraphId }),
    body: z
      .object({
        appId: GraphId.optional(),
        appSecret: ConnectCloud.shape.appSecret.optional(),
        accessToken: ConnectCloud.shape.accessToken.optional(),
      })
      .refine((b) => b.appId !== undefined || b.appSecret !== undefined || b.accessToken !== undefined, {
        message: 'give appId, appSecret or accessToken',
      }),
    responses: { 204: null },
    async handler({ params, body, request }) {
      const caller = callerOf(request);
      const orgId = caller.orgId;
      const { waba, phoneNumberIds } = okOrThrow(
        await numbers<'getWaba'>(orgId, { type: 'getWaba', wabaId: params.wabaId }),
      );
      if (waba.mode === 'simulator') {
        throw new ParloError(
          'PARLO_WABA_MODE_MISMATCH',
          `business account ${params.wabaId} is a simulator account; its credentials are managed by Parlo`,
        );
      }
      const probe = phoneNumberIds[0];
      if (body.accessToken !== undefined && probe !== undefined) {
        const lookup = await deps.lookupNumber(graphOf(body.accessToken, probe));
        if (!lookup.ok) throw lookupFailure(lookup, probe);
      }
      okOrThrow(
        await numbers<'updateCredentials'>(orgId, {
          type: 'updateCredentials',
          wabaId: params.wabaId,
          ...(body.appId === undefined ? {} : { appId: body.appId }),
          ...(body.appSecret === undefined
            ? {}
            : {
                appSecretSealed: secretBox.seal(body.appSecret, wabaSecretContext(orgId, params.wabaId, 'appSecret')),
              }),
          ...(body.accessToken === undefined
            ? {}
            : {
                accessTokenSealed: secretBox.seal(
                  body.accessToken,
                  wabaSecretContext(orgId, params.wabaId, 'accessToken'),
                ),
              }),
          by: auditActorOf(caller),
        }),
      );
      deps.onWebhookSecretsChanged?.(orgId);
      return { status: 204 };
    },
  });

  return [
    getWebhook,
    rotateWebhookToken,
    connectNumber,
    listNumbers,
    getNumber,
    getSendingState,
    resumeMarketing,
    updateNumber,
    disconnectNumber,
    updateCredentials,
  ];
}
