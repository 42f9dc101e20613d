import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/index.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { loginActor } from '../../../actors/identity/login.actor.ts';
import { sessionActor } from '../../../actors/identity/session.actor.ts';
import { orgActor } from '../../../actors/org/org.actor.ts';
import { ROLES, can, isPermission, type Permission, type Role } from '../../../actors/org/permissions.ts';
import type { OpenApiDocument, OpenApiOperation } from '../api/openapi.ts';
import { buildHttpApp } from '../app.ts';
import { createAuthenticate } from '../auth/authenticate.ts';
import { apiKeyRoutes } from './api-keys.routes.ts';
import { numberDirectoryActor } from '../../../actors/numbers/number-directory.actor.ts';
import { orgNumbersActor } from '../../../actors/numbers/numbers.actor.ts';
import { simulatedNumbersActor } from '../../../actors/numbers/simulated-numbers.actor.ts';
import { CloudApiSimulator } from '../../../adapters/whatsapp-cloud/simulator/simulator.ts';
import { WebhookDispatcher } from '../../../adapters/whatsapp-cloud/simulator/webhooks/dispatcher.ts';
import { SecretBox } from '../../../core/index.ts';
import { simulatorNumbers } from '../../cli/simulator-numbers.ts';
import { numberRoutes } from './numbers.routes.ts';
import { messageRoutes } from './messages.routes.ts';
import { inboxRoutes } from './inbox.routes.ts';
import { operatorRoutes } from './operators.routes.ts';
import { conversationActor } from '../../../actors/conversation/conversation.actor.ts';
import { conversationIndexActor } from '../../../actors/conversation-index/conversation-index.actor.ts';
import { numberActor } from '../../../actors/number/number.actor.ts';
import { identityRoutes } from './identity.routes.ts';
import { DEFAULT_DELIVERY_POLICY, deliveryIdOf } from '../../../actors/webhooks/retry.ts';
import { createWebhookDeliveryActor } from '../../../actors/webhooks/webhook-delivery.actor.ts';
import {
  webhookDeliveryAddress,
  type WebhookDeliveryReply,
} from '../../../actors/webhooks/webhook-delivery.messages.ts';
import { webhookEndpointsActor } from '../../../actors/webhooks/webhook-endpoints.actor.ts';
import {
  webhookEndpointsAddress,
  webhookEventMessage,
  webhookEventMsgId,
  type AnyWebhookEvent,
} from '../../../actors/webhooks/webhook-events.ts';
import { webhookLogActor } from '../../../actors/webhooks/webhook-log.actor.ts';
import { webhookRoutes } from './webhooks.routes.ts';
import { consentKeywordsActor } from '../../../actors/contacts/consent-keywords.actor.ts';
import { contactActor } from '../../../actors/contacts/contact.actor.ts';
import { contactRoutes } from './contacts.routes.ts';
import { ledgerSegmentActor } from '../../../actors/billing/ledger-segment.actor.ts';
import { usageArchiveActor } from '../../../actors/billing/usage-archive.actor.ts';
import { walletActor } from '../../../actors/billing/wallet.actor.ts';
import { billingRoutes } from './billing.routes.ts';
import { MemoryMediaStore } from '../../../core/testing/memory-media-store.ts';
import { createMediaRefs, deriveMediaRefKeys } from '../media-refs.ts';
import { mediaRoutes } from './media.routes.ts';
import { templateRoutes } from './templates.routes.ts';
import { contactFieldsActor } from '../../../actors/contacts/contact-fields.actor.ts';
import { contactIndexActor } from '../../../actors/contacts/contact-index.actor.ts';
import { segmentsActor } from '../../../actors/contacts/segments.actor.ts';
import { templatesActor } from '../../../actors/templates/templates.actor.ts';
import { STARTER_TEMPLATES } from '../../../actors/templates/starter-library.ts';
import { TEMPLATES_KIND, templatesActorId } from '../../../actors/templates/templates.messages.ts';
import { portfolioActor } from '../../../actors/portfolio/portfolio.actor.ts';
import { campaignActor } from '../../../actors/campaigns/campaign.actor.ts';
import { campaignRunActor } from '../../../actors/campaigns/campaign-run.actor.ts';
import { campaignsDirectoryActor } from '../../../actors/campaigns/campaigns-directory.actor.ts';
import { inboxStreamActor } from '../../../actors/inbox/inbox-stream.actor.ts';
import { assignmentActor } from '../../../actors/operators/assignment.actor.ts';
import { operatorActor } from '../../../actors/operators/operator.actor.ts';
import { quickRepliesActor } from '../../../actors/inbox/quick-replies.actor.ts';
import { quickReplyRoutes } from './quick-replies.routes.ts';
import { DEFAULT_RATE_CARD } from '../../../actors/billing/rate-card.ts';
import { campaignRoutes } from './campaigns.routes.ts';
import { realtimeRoutes } from './realtime.routes.ts';

/**
 * Tenant isolation and role-based access, generated from the OpenAPI document the app serves: every operation in
 * it is checked, so a route added later is either covered automatically or fails here until the tables below
 * (path parameter kinds, per-operation permission and valid request) know about it.
 *
 * 1. Every operation with a path parameter, called by org A's owner with org B's ids, answers 404 and leaves B as
 *    it was.
 * 2. Every non-public operation, called by each role of org A: the roles `can(role, permission)` allows succeed,
 *    the others get 403 PARLO_ACCESS_FORBIDDEN.
 * 3. Every non-public operation without a credential answers 401.
 *
 * scrypt costs ~0.3 s per sign-up / accept / password check, so users are created once, in beforeAll.
 */

let fixture: RuntimeFixture;
let app: FastifyInstance;
let doc: OpenApiDocument;

const PASSWORD = 'correct horse battery staple';

interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

interface OrgA {
  readonly orgId: string;
  /** One signed-in user per role; the owner is the one who signed up. */
  readonly users: Record<Role, { userId: string; token: string; password: string }>;
  /** A viewer that role changes target (changed to what it already is, so nothing moves). */
  readonly target: { userId: string };
  readonly keyId: string;
  readonly inviteId: string;
  readonly phoneNumberId: string;
  /** A cloud-mode account (its credentials can be changed). */
  readonly wabaId: string;
  /** An outbound webhook endpoint and a dead delivery of it. */
  readonly endpointId: string;
  readonly deliveryId: string;
  /** A contact (customer key) with one consent record. */
  readonly contactKey: string;
  /** The organisation's ref of a stored photo (GET /v1/media/{mediaRef}). */
  readonly mediaRef: string;
  /** A message template of its cloud account. */
  readonly templateId: string;
  readonly segmentId: string;
  /** A campaign launched now (run 1 exists). */
  readonly campaignId: string;
  /** A shared quick reply (every member may see and render it). */
  readonly quickReplyId: string;
}

interface OrgB {
  readonly orgId: string;
  readonly owner: { userId: string; token: string };
  readonly member: { userId: string; role: Role };
  readonly key: { id: string; key: string };
  readonly inviteId: string;
  readonly phoneNumberId: string;
  readonly wabaId: string;
  readonly endpointId: string;
  readonly deliveryId: string;
  readonly contactKey: string;
  readonly mediaRef: string;
  readonly templateId: string;
  readonly segmentId: string;
  readonly campaignId: string;
  readonly quickReplyId: string;
}

let a: OrgA;
let b: OrgB;
let emailCounter = 0;
const uniqueEmail = (prefix: string): string => `${prefix}${++emailCounter}@tenancy.test`;

// ---------------------------------------------------------------- helpers

interface Call {
  readonly token?: string;
  readonly key?: string;
  readonly body?: unknown;
}

async function call(method: string, url: string, options: Call = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.key !== undefined) headers['x-api-key'] = options.key;
  return app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(options.body === undefined ? {} : { payload: options.body as object }),
  });
}

async function signUp(orgName: string, email: string) {
  const res = await call('POST', '/v1/signup', { body: { orgName, email, password: PASSWORD } });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ org: { id: string }; user: { id: string }; tokens: Tokens }>();
  return { orgId: body.org.id, userId: body.user.id, token: body.tokens.accessToken };
}

async function invite(ownerToken: string, role: Role, email = uniqueEmail(role)) {
  const res = await call('POST', '/v1/invites', { token: ownerToken, body: { email, role } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ inviteId: string; token: string }>();
}

/** Invites and accepts: one scrypt. */
async function addMember(ownerToken: string, role: Role) {
  const { inviteId, token } = await invite(ownerToken, role);
  const res = await call('POST', '/v1/invites/accept', { body: { inviteId, token, password: PASSWORD } });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ user: { id: string; role: Role }; tokens: Tokens }>();
  expect(body.user.role).toBe(role);
  return { userId: body.user.id, token: body.tokens.accessToken, password: PASSWORD };
}

async function connectSimulatorNumber(token: string): Promise<string> {
  const res = await call('POST', '/v1/numbers', { token, body: { mode: 'simulator' } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ number: { phoneNumberId: string } }>().number.phoneNumberId;
}

/** A cloud number: the Graph API check is answered by the fake lookup below for ids starting with 7. */
let cloudIds = 0;
async function connectCloudNumber(token: string): Promise<{ phoneNumberId: string; wabaId: string }> {
  const n = ++cloudIds;
  const wabaId = `71000000000000${n}`;
  const phoneNumberId = `72000000000000${n}`;
  const body = {
    mode: 'cloud',
    wabaId,
    phoneNumberId,
    appId: '730000000000001',
    appSecret: 'a'.repeat(32),
    accessToken: 'EAAG'.padEnd(40, 'x'),
  };
  const res = await call('POST', '/v1/numbers', { token, body });
  expect(res.statusCode, res.body).toBe(201);
  return { phoneNumberId, wabaId };
}

/** Webhook targets are public names only here: deliveries go to a failing stand-in port, never the network. */
const STRICT_WEBHOOK_TARGETS = { allowLoopback: false, allowPrivateNetworks: false, allowLinkLocal: false };

async function createWebhookEndpoint(token: string, events: string[]): Promise<string> {
  const res = await call('POST', '/v1/webhook-endpoints', {
    token,
    body: { url: 'https://hooks.tenancy.test/in', events },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ endpoint: { id: string } }>().endpoint.id;
}

/** Publishes an event to the org's endpoints and waits until its delivery to `endpointId` is dead (one failure). */
let webhookEvents = 0;
async function deadWebhookDelivery(orgId: string, endpointId: string): Promise<string> {
  const event: AnyWebhookEvent = {
    id: `evt_tenancy_${++webhookEvents}`,
    type: 'contact.opted_out',
    orgId,
    occurredAtMs: fixture.clock.now(),
    data: { contactId: null, waId: '15551234567', phoneNumberId: null, source: 'api', keyword: null },
  };
  await fixture.system.tell(webhookEndpointsAddress(orgId), webhookEventMessage(event), {
    msgId: webhookEventMsgId(event),
  });
  const deliveryId = deliveryIdOf(endpointId, event.id);
  const by = { kind: 'user', userId: 'tenancy-test', role: 'owner' } as const;
  for (let i = 0; i < 2_000; i++) {
    const reply = await fixture.system.ask<WebhookDeliveryReply<'getDelivery'>>(
      webhookDeliveryAddress(orgId, deliveryId),
      {
        type: 'getDelivery',
        endpointId,
        by,
      },
    );
    if (reply.ok && reply.delivery.status === 'dead') return deliveryId;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`delivery ${deliveryId} of ${event.id} did not die`);
}

/** An endpoint receiving contact.opted_out, and a dead delivery of it. */
async function webhookIds(token: string, orgId: string): Promise<{ endpointId: string; deliveryId: string }> {
  const endpointId = await createWebhookEndpoint(token, ['contact.opted_out']);
  return { endpointId, deliveryId: await deadWebhookDelivery(orgId, endpointId) };
}

/** Every organisation here has one customer who wrote to its cloud number, so free-form replies may go out. */
const CUSTOMER = '15550001111';
const conversationOf = (phoneNumberId: string): string => `${phoneNumberId}.p${CUSTOMER}`;

async function customerWrites(orgId: string, phoneNumberId: string): Promise<void> {
  await fixture.system.tell(
    { kind: 'conversation', id: conversationOf(phoneNumberId) },
    {
      type: 'inbound',
      orgId,
      event: {
        type: 'messageReceived',
        accountId: phoneNumberId,
        businessAccountId: '710000000000000',
        providerMessageId: `wamid.tenancy.${phoneNumberId}`,
        timestampMs: fixture.clock.now(),
        from: CUSTOMER,
        messageType: 'text',
        content: { body: 'Hi' },
      },
    },
  );
}

/** Customers' media: one photo that both organisations received, stored once; each gets its own scoped ref. */
const mediaStore = new MemoryMediaStore();
const mediaRefs = createMediaRefs(deriveMediaRefKeys([Buffer.alloc(32, 9)]));
const PHOTO = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.from('tenancy photo'),
  Buffer.from([0xff, 0xd9]),
]);

async function receivedPhoto(orgId: string): Promise<string> {
  const stored = await mediaStore.put({ data: PHOTO, mimeType: 'image/jpeg' });
  if (!stored.ok) throw new Error(stored.detail);
  return mediaRefs.issue(orgId, stored.ref);
}

async function createKey(token: string, name = 'k') {
  const res = await call('POST', '/v1/api-keys', { token, body: { name, scopes: ['read'] } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string; key: string }>();
}

/** A contact with one consent record (the first record creates it). */
async function recordConsent(token: string, contactKey: string, source: string): Promise<string> {
  const res = await call('PUT', `/v1/contacts/${contactKey}/consent/marketing`, {
    token,
    body: { action: 'optIn', method: 'api', source },
  });
  expect(res.statusCode, res.body).toBe(200);
  return contactKey;
}

function isErrorBody(res: LightMyRequestResponse): boolean {
  try {
    const body = res.json<{ error?: { code?: unknown; message?: unknown } }>();
    return (
      typeof body.error?.code === 'string' && /^PARLO_/.test(body.error.code) && typeof body.error.message === 'string'
    );
  } catch {
    return false;
  }
}

function errorCode(res: LightMyRequestResponse): string | undefined {
  return isErrorBody(res) ? res.json<{ error: { code: string } }>().error.code : undefined;
}

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly op: OpenApiOperation;
}

/** Org A's conversation, unassigned and unlocked (by its owner), as the path parameters of a call. */
async function freeConversation(): Promise<Record<string, string>> {
  const conversationId = A_IDS['conversationId']!(a);
  const res = await call('POST', `/v1/conversations/${conversationId}/assign`, {
    token: a.users.owner.token,
    body: { assignee: null },
  });
  expect(res.statusCode, res.body).toBe(200);
  return { conversationId };
}

function operations(): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
}

const isPublic = (op: OpenApiOperation): boolean => op.security.length === 0;
const pathParams = (op: OpenApiOperation): string[] => op.parameters.filter((p) => p.in === 'path').map((p) => p.name);

/** The permission scopes the document declares for an operation (the same for every accepted credential). */
function declaredScopes(op: OpenApiOperation): string[] {
  return [...new Set(op.security.flatMap((scheme) => Object.values(scheme).flat()))];
}

function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{([A-Za-z][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for path parameter {${name}} of ${path}`);
    return encodeURIComponent(value);
  });
}

// ---------------------------------------------------------------- tables

/**
 * Which id of org B each path parameter name stands for. A new path parameter name must be added here (with an
 * object of that kind created for org B in beforeAll), so that its route is checked for tenant isolation.
 */
const B_IDS: Readonly<Record<string, (org: OrgB) => string>> = {
  userId: (org) => org.member.userId,
  keyId: (org) => org.key.id,
  inviteId: (org) => org.inviteId,
  orgId: (org) => org.orgId,
  phoneNumberId: (org) => org.phoneNumberId,
  wabaId: (org) => org.wabaId,
  endpointId: (org) => org.endpointId,
  deliveryId: (org) => org.deliveryId,
  conversationId: (org) => conversationOf(org.phoneNumberId),
  contactKey: (org) => org.contactKey,
  // B's ref of the very photo A also received (one stored object): only the organisation scope tells them apart.
  mediaRef: (org) => org.mediaRef,
  templateId: (org) => org.templateId,
  segmentId: (org) => org.segmentId,
  campaignId: (org) => org.campaignId,
  quickReplyId: (org) => org.quickReplyId,
  // Not an id: the number of a campaign's run (B's campaign id makes it B's).
  run: () => '1',
  // Not an id: the consent scope of a contact.
  scope: () => 'marketing',
  // Not an id: a starter template, the same for every organisation.
  key: () => STARTER_TEMPLATES[0]!.key,
};

/** The same kinds of ids in org A: well-formed and existing, for calls whose credential check comes first. */
const A_IDS: Readonly<Record<string, (org: OrgA) => string>> = {
  userId: (org) => org.target.userId,
  keyId: (org) => org.keyId,
  inviteId: (org) => org.inviteId,
  orgId: (org) => org.orgId,
  phoneNumberId: (org) => org.phoneNumberId,
  wabaId: (org) => org.wabaId,
  endpointId: (org) => org.endpointId,
  deliveryId: (org) => org.deliveryId,
  conversationId: (org) => conversationOf(org.phoneNumberId),
  contactKey: (org) => org.contactKey,
  mediaRef: (org) => org.mediaRef,
  templateId: (org) => org.templateId,
  segmentId: (org) => org.segmentId,
  campaignId: (org) => org.campaignId,
  quickReplyId: (org) => org.quickReplyId,
  run: () => '1',
  scope: () => 'marketing',
  key: () => STARTER_TEMPLATES[0]!.key,
};

interface Case {
  /**
   * The permission the operation needs; null when every member may call it. Where the document declares scopes
   * this must be the same; a permission checked by the actor instead (removeMember) is written here.
   */
  readonly permission: Permission | null;
  /** A valid body (so a 400 never hides a 403). */
  readonly body?: (role: Role) => unknown;
  /** Query parameters of the role matrix's call (ids of org A). */
  readonly query?: (role: Role) => Record<string, string>;
  /** Path parameters in org A for the role matrix; default: A_IDS. May create a fresh target. */
  readonly params?: (role: Role) => Promise<Record<string, string>>;
  /** Called after a successful matrix call, to record what changed. */
  readonly after?: (role: Role) => void;
  /** Ends the caller's session: runs after every other operation of the matrix. */
  readonly endsSession?: boolean;
  /**
   * The path names something outside Parlo (a customer's phone number or WhatsApp user id), not a record of org B:
   * a write with B's value addresses A's own record of that customer (created by the first write), never B's. The
   * tenancy check then expects a 2xx, runs it after every other operation (so A's new record hides no 404) and
   * checks that B's record is unchanged.
   */
  readonly outsideIdWrite?: boolean;
}

/** Members removed in the matrix are fresh ones, one per successful removal. */
let victim: string | null = null;
let passwordCounter = 0;
const nextPassword: Partial<Record<Role, string>> = {};

/**
 * Every non-public operation, by operationId: its permission and a valid request. A new operation must be added
 * here; the test fails naming it otherwise.
 */
const CASES: Readonly<Record<string, Case>> = {
  signOut: { permission: null, endsSession: true },
  getMe: { permission: null },
  changePassword: {
    permission: null,
    body: (role) => {
      const newPassword = `${PASSWORD} ${++passwordCounter}`;
      nextPassword[role] = newPassword;
      return { currentPassword: a.users[role].password, newPassword };
    },
    after: (role) => {
      a.users[role].password = nextPassword[role] ?? a.users[role].password;
    },
  },
  getOrg: { permission: 'org:read' },
  createInvite: { permission: 'users:invite', body: () => ({ email: uniqueEmail('invitee'), role: 'viewer' }) },
  updateMember: { permission: 'users:manage-roles', body: () => ({ role: 'viewer' }) },
  removeMember: {
    permission: 'users:remove',
    params: async () => {
      victim ??= (await addMember(a.users.owner.token, 'viewer')).userId;
      return { userId: victim };
    },
    after: () => {
      victim = null;
    },
  },
  listAudit: { permission: 'audit:read' },
  createApiKey: { permission: 'api-keys:manage', body: () => ({ name: 'matrix', scopes: ['read'] }) },
  listApiKeys: { permission: 'api-keys:manage' },
  revokeApiKey: {
    permission: 'api-keys:manage',
    // Each call revokes a key of its own, so no call depends on an earlier one.
    params: async () => ({ keyId: (await createKey(a.users.owner.token, 'to revoke')).id }),
  },
  getWhatsAppWebhook: { permission: 'numbers:manage' },
  rotateWhatsAppVerifyToken: { permission: 'numbers:manage' },
  connectNumber: { permission: 'numbers:manage', body: () => ({ mode: 'simulator' }) },
  listNumbers: { permission: 'numbers:read' },
  getNumber: { permission: 'numbers:read' },
  getNumberSendingState: { permission: 'numbers:read' },
  resumeNumberMarketing: { permission: 'numbers:manage', body: () => ({}) },
  updateNumber: { permission: 'numbers:manage', body: () => ({ displayName: 'Matrix' }) },
  disconnectNumber: {
    permission: 'numbers:manage',
    params: async () => ({ phoneNumberId: await connectSimulatorNumber(a.users.owner.token) }),
  },
  updateWhatsAppCredentials: { permission: 'numbers:manage', body: () => ({ appId: '730000000000002' }) },
  sendMessage: {
    permission: 'conversations:reply',
    body: () => ({ from: a.phoneNumberId, to: CUSTOMER, content: { type: 'text', text: { body: 'Hello' } } }),
    // The previous role's reply holds the conversation (a lock is a 409, not a 403): free it first.
    params: async () => {
      await freeConversation();
      return {};
    },
  },
  getConversation: { permission: 'messages:read' },
  listConversations: { permission: 'messages:read', query: () => ({ number: a.phoneNumberId, window: 'open' }) },
  listConversationMessages: { permission: 'messages:read' },
  // Each role's claim finds the conversation free: the owner unassigns it first (a held lock is a 409, not a 403).
  claimConversation: { permission: 'conversations:assign', params: async () => freeConversation() },
  assignConversation: { permission: 'conversations:assign', body: () => ({ assignee: a.users.operator.userId }) },
  takeoverConversation: { permission: 'conversations:takeover' },
  releaseConversation: { permission: 'conversations:assign' },
  statusConversation: { permission: 'conversations:assign', body: () => ({ status: 'open' }) },
  listOperators: { permission: 'messages:read' },
  getOperator: { permission: 'messages:read' },
  configureOperator: { permission: 'inbox:manage', body: () => ({ capacity: 5, teams: ['support'] }) },
  reportPresence: { permission: null, body: () => ({ deviceId: 'matrix', presence: 'online' }) },
  listNotifications: { permission: null },
  readNotifications: { permission: null, body: () => ({ upToId: 'none' }) },
  addConversationNote: { permission: 'conversations:reply', body: () => ({ text: 'matrix note' }) },
  setConversationTags: { permission: 'conversations:assign', body: () => ({ tags: ['matrix'] }) },
  getAssignment: { permission: 'messages:read' },
  setAssignmentRules: {
    permission: 'inbox:manage',
    body: () => ({ mode: 'manual', routes: [], unassignWhenOffline: false }),
  },
  createWebhookEndpoint: {
    permission: 'webhooks:manage',
    body: () => ({ url: 'https://hooks.tenancy.test/matrix', events: ['message.status'] }),
  },
  listWebhookEndpoints: { permission: 'webhooks:manage' },
  getWebhookEndpoint: { permission: 'webhooks:manage' },
  updateWebhookEndpoint: { permission: 'webhooks:manage', body: () => ({ description: 'matrix' }) },
  deleteWebhookEndpoint: {
    permission: 'webhooks:manage',
    params: async () => ({ endpointId: await createWebhookEndpoint(a.users.owner.token, ['message.status']) }),
  },
  rotateWebhookSecret: { permission: 'webhooks:manage', body: () => ({ overlapSeconds: 60 }) },
  revokePreviousWebhookSecrets: { permission: 'webhooks:manage' },
  sendWebhookTestEvent: { permission: 'webhooks:manage' },
  listWebhookDeliveries: { permission: 'webhooks:manage' },
  getWebhookDelivery: { permission: 'webhooks:manage' },
  listWebhookDeadLetters: { permission: 'webhooks:manage' },
  replayWebhookDeadLetter: {
    permission: 'webhooks:manage',
    // Each call replays a dead delivery of its own (a replayed one is pending, not dead).
    params: async () => ({ endpointId: a.endpointId, deliveryId: await deadWebhookDelivery(a.orgId, a.endpointId) }),
  },
  replayAllWebhookDeadLetters: { permission: 'webhooks:manage' },
  recordContactConsent: {
    permission: 'contacts:write',
    body: () => ({ action: 'optIn', method: 'api', source: 'tenancy matrix' }),
    outsideIdWrite: true,
  },
  getContact: { permission: 'contacts:read' },
  getContactFields: { permission: 'contacts:read' },
  searchContacts: { permission: 'contacts:read', body: () => ({ filter: { tags: { any: ['matrix'] } } }) },
  createSegment: { permission: 'contacts:write', body: () => ({ name: `matrix ${++segmentNames}`, filter: {} }) },
  listSegments: { permission: 'contacts:read' },
  getSegment: { permission: 'contacts:read' },
  updateSegment: {
    permission: 'contacts:write',
    body: () => ({ name: 'matrix segment', filter: { tags: { any: ['matrix'] } } }),
  },
  // Each call deletes a segment of its own.
  deleteSegment: {
    permission: 'contacts:write',
    params: async () => ({ segmentId: await createSegment(a.users.owner.token) }),
  },
  listSegmentContacts: { permission: 'contacts:read', body: () => ({ limit: 10 }) },
  exportContacts: { permission: 'contacts:read' },
  exportContactData: { permission: 'org:manage' },
  // Each call erases a contact of its own. The key names a customer, not a record of B: with B's key, A erases
  // its own (absent) records of that customer and B's stay.
  eraseContactData: {
    permission: 'org:manage',
    body: () => ({}),
    params: async () => ({
      contactKey: await recordConsent(
        a.users.owner.token,
        `p1555700${String(++erasedContacts).padStart(4, '0')}`,
        'erase me',
      ),
    }),
    outsideIdWrite: true,
  },
  upsertContacts: {
    permission: 'contacts:write',
    body: () => ({ defaultCountry: 'ES', contacts: [{ phone: '600 00 00 99', tags: { add: ['matrix'] } }] }),
  },
  replaceContactFields: {
    permission: 'org:manage',
    body: () => ({ fields: [{ key: 'tier', label: 'Loyalty tier', type: 'enum', options: ['gold', 'silver'] }] }),
  },
  updateContact: {
    permission: 'contacts:write',
    body: () => ({ tags: { add: ['matrix'] }, language: 'es' }),
    outsideIdWrite: true,
  },
  checkContactConsent: { permission: 'contacts:read' },
  getConsentKeywords: { permission: 'contacts:read' },
  updateConsentKeywords: {
    permission: 'org:manage',
    body: () => ({ optOut: [{ keyword: 'matrix', language: 'en' }], disabledDefaults: ['quit'] }),
  },
  getWallet: { permission: 'billing:read' },
  createTopUp: { permission: 'billing:manage', body: () => ({ amountMicros: 1_000_000 }) },
  setAutoRecharge: {
    permission: 'billing:manage',
    body: () => ({ enabled: true, thresholdMicros: 100_000, amountMicros: 5_000_000 }),
  },
  setPlan: {
    permission: 'billing:manage',
    body: () => ({ name: 'Matrix', includedConversations: 1_000, monthlyFeeMicros: 50_000_000 }),
  },
  getUsage: { permission: 'billing:read' },
  listLedger: { permission: 'billing:read' },
  exportLedger: { permission: 'billing:read' },
  getMedia: { permission: 'messages:read' },
  // A's matrix connects simulator numbers, each of an account of its own: calls that create or list name one.
  listTemplates: { permission: 'templates:read', query: () => ({ wabaId: a.wabaId }) },
  createTemplate: { permission: 'templates:manage', body: () => ({ template: matrixTemplate(), wabaId: a.wabaId }) },
  lintTemplate: { permission: 'templates:read', body: () => ({ template: matrixTemplate() }) },
  listStarterTemplates: { permission: 'templates:read' },
  // The key names a library entry shared by every organisation: the submission is A's own template.
  submitStarterTemplate: { permission: 'templates:manage', body: () => ({ wabaId: a.wabaId }), outsideIdWrite: true },
  getTemplate: { permission: 'templates:read' },
  previewTemplate: { permission: 'templates:read', body: () => ({ values: { body: { '1': 'Ana' } } }) },
  // Each call deletes a template of its own (the matrix template of A stays for the other calls).
  deleteTemplate: {
    permission: 'templates:manage',
    params: async () => ({ templateId: await createTemplate(a.users.owner.token, a.wabaId) }),
  },
  // Each write acts on a campaign of its own, in the state the action needs.
  createCampaign: { permission: 'campaigns:manage', body: () => campaignInput() },
  listCampaigns: { permission: 'campaigns:read' },
  getCampaign: { permission: 'campaigns:read' },
  updateCampaign: {
    permission: 'campaigns:manage',
    body: () => campaignInput(),
    params: async () => ({ campaignId: await createCampaign('draft') }),
  },
  deleteCampaign: {
    permission: 'campaigns:manage',
    params: async () => ({ campaignId: await createCampaign('draft') }),
  },
  preflightCampaign: { permission: 'campaigns:read' },
  launchCampaign: {
    permission: 'campaigns:manage',
    params: async () => ({ campaignId: await createCampaign('draft') }),
  },
  pauseCampaign: {
    permission: 'campaigns:manage',
    body: () => ({}),
    params: async () => ({ campaignId: await createCampaign('scheduled') }),
  },
  resumeCampaign: {
    permission: 'campaigns:manage',
    body: () => ({}),
    params: async () => ({ campaignId: await createCampaign('paused') }),
  },
  cancelCampaign: {
    permission: 'campaigns:manage',
    body: () => ({}),
    params: async () => ({ campaignId: await createCampaign('scheduled') }),
  },
  getCampaignRun: { permission: 'campaigns:read' },
  listCampaignRecipients: { permission: 'campaigns:read' },
  getCampaignSeries: { permission: 'campaigns:read' },
  getCampaignAnalytics: { permission: 'campaigns:read' },
  getRealtimeEndpoint: { permission: 'messages:read' },
  listQuickReplies: { permission: 'messages:read', query: () => ({ q: 'matrix' }) },
  createQuickReply: { permission: 'conversations:reply', body: () => quickReplyInput('personal') },
  // Each role changes and deletes a personal reply of its own (a viewer is refused before any is read).
  updateQuickReply: {
    permission: 'conversations:reply',
    body: () => ({ title: 'Matrix, changed' }),
    params: ownQuickReply,
  },
  deleteQuickReply: { permission: 'conversations:reply', params: ownQuickReply },
  renderQuickReply: { permission: 'conversations:reply' },
};

const CAMPAIGN_TEMPLATE = 'campaign_matrix';

/** A utility campaign to org A's contact with its approved template; sent now, or a day ahead. */
function campaignInput(schedule: 'now' | 'later' = 'later'): Record<string, unknown> {
  return {
    name: 'Matrix campaign',
    phoneNumberId: a.phoneNumberId,
    category: 'utility',
    variants: [
      { template: { name: CAMPAIGN_TEMPLATE, language: 'en' }, variables: { body: { '1': { value: 'Ana' } } } },
    ],
    audience: { contacts: [a.contactKey] },
    schedule:
      schedule === 'now'
        ? { kind: 'now' }
        : { kind: 'at', at: new Date(fixture.clock.now() + 86_400_000).toISOString() },
    quietHours: null,
  };
}

/** A campaign of org A, made by its owner and brought to `state`. */
async function createCampaign(state: 'draft' | 'scheduled' | 'paused' | 'running'): Promise<string> {
  const token = a.users.owner.token;
  const created = await call('POST', '/v1/campaigns', {
    token,
    body: campaignInput(state === 'running' ? 'now' : 'later'),
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = (JSON.parse(created.body) as { id: string }).id;
  if (state === 'draft') return id;
  const launched = await call('POST', `/v1/campaigns/${id}/launch`, { token });
  expect(launched.statusCode, launched.body).toBe(200);
  if (state === 'paused') {
    const paused = await call('POST', `/v1/campaigns/${id}/pause`, { token, body: {} });
    expect(paused.statusCode, paused.body).toBe(200);
  }
  return id;
}

/** Org A's campaign template, approved as Meta's review webhook would. */
async function approvedCampaignTemplate(token: string, orgId: string, wabaId: string): Promise<void> {
  const res = await call('POST', '/v1/templates', {
    token,
    body: {
      wabaId,
      template: {
        name: CAMPAIGN_TEMPLATE,
        language: 'en',
        category: 'UTILITY',
        components: [{ type: 'BODY', text: 'Hello {{1}}, your order is ready.', example: { body_text: [['Ana']] } }],
      },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const templateId = (JSON.parse(res.body) as { id: string }).id;
  await fixture.system.ask(
    { kind: TEMPLATES_KIND, id: templatesActorId(orgId, wabaId) },
    {
      type: 'statusChanged',
      templateId,
      name: CAMPAIGN_TEMPLATE,
      language: 'en',
      event: 'APPROVED',
      reason: null,
      category: null,
    },
  );
}

let templateNames = 0;
/** A valid template with a name of its own. */
function matrixTemplate(): Record<string, unknown> {
  return {
    name: `matrix_${++templateNames}`,
    language: 'en',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Hello {{1}}, your order is ready.', example: { body_text: [['Ana']] } }],
  };
}

async function createTemplate(token: string, wabaId?: string): Promise<string> {
  const res = await call('POST', '/v1/templates', {
    token,
    body: { template: matrixTemplate(), ...(wabaId === undefined ? {} : { wabaId }) },
  });
  expect(res.statusCode, res.body).toBe(201);
  return (JSON.parse(res.body) as { id: string }).id;
}

let metaTemplateIds = 0;
let erasedContacts = 0;
let segmentNames = 0;

async function createSegment(token: string): Promise<string> {
  const res = await call('POST', '/v1/segments', { token, body: { name: `segment ${++segmentNames}`, filter: {} } });
  expect(res.statusCode, res.body).toBe(201);
  return (JSON.parse(res.body) as { id: string }).id;
}

let quickReplyShortcuts = 0;
function quickReplyInput(scope: 'shared' | 'personal'): Record<string, unknown> {
  return {
    scope,
    shortcut: `matrix-${++quickReplyShortcuts}`,
    title: 'Matrix',
    text: 'Hi {{contact.first_name|there}}',
  };
}

/** A quick reply of the token's organisation: shared (its owner), or the token's user's personal one. */
async function createQuickReply(token: string, scope: 'shared' | 'personal'): Promise<string> {
  const res = await call('POST', '/v1/quick-replies', { token, body: quickReplyInput(scope) });
  expect(res.statusCode, res.body).toBe(201);
  return (JSON.parse(res.body) as { id: string }).id;
}

/** A personal reply of the role's own, for the roles that may write one. */
async function ownQuickReply(role: Role): Promise<Record<string, string>> {
  if (!can(role, 'conversations:reply')) return { quickReplyId: a.quickReplyId };
  return { quickReplyId: await createQuickReply(a.users[role].token, 'personal') };
}

function caseOf(operationId: string): Case {
  const found = CASES[operationId];
  if (!found) {
    throw new Error(
      `operation ${operationId} is not in CASES of tenancy-rbac.int.test.ts: add its permission and a valid request body`,
    );
  }
  return found;
}

// ---------------------------------------------------------------- setup

beforeAll(async () => {
  fixture = await startRuntimeFixture({
    definitions: [
      orgActor,
      loginActor,
      sessionActor,
      orgNumbersActor,
      numberDirectoryActor,
      simulatedNumbersActor,
      conversationActor,
      conversationIndexActor,
      numberActor,
      webhookEndpointsActor,
      // Every webhook attempt fails (the port below) and is final (no retry window): dead letters at once.
      createWebhookDeliveryActor({ ...DEFAULT_DELIVERY_POLICY, retryWindowMs: 0 }),
      webhookLogActor,
      contactActor,
      contactFieldsActor,
      contactIndexActor,
      segmentsActor,
      consentKeywordsActor,
      walletActor,
      ledgerSegmentActor,
      usageArchiveActor,
      templatesActor,
      portfolioActor,
      campaignActor,
      campaignRunActor,
      campaignsDirectoryActor,
      inboxStreamActor,
      operatorActor,
      assignmentActor,
      quickRepliesActor,
    ],
    ports: {
      'webhooks-out': {
        deliver: () =>
          Promise.resolve({ outcome: 'failed', reason: 'http', status: 503, detail: 'HTTP 503', durationMs: 1 }),
      },
    },
  });
  const secretBox = SecretBox.fromText(SecretBox.generateKeyText());
  const routes = [
    ...identityRoutes({ system: fixture.system, now: () => fixture.clock.now() }),
    ...apiKeyRoutes({ system: fixture.system }),
    ...messageRoutes({ system: fixture.system, mediaRefs }),
    ...inboxRoutes({ system: fixture.system }),
    ...operatorRoutes({ system: fixture.system }),
    ...quickReplyRoutes({ system: fixture.system }),
    ...numberRoutes({
      system: fixture.system,
      secretBox,
      publicBaseUrl: () => 'https://parlo.test',
      webhookPath: '/webhooks/whatsapp',
      graph: { baseUrl: 'https://graph.invalid', apiVersion: 'v23.0' },
      // Stands in for the Graph API: every cloud number of this test exists (the real check has its own tests).
      lookupNumber: () =>
        Promise.resolve({
          ok: true,
          info: {
            displayPhoneNumber: '15550009999',
            verifiedName: null,
            qualityRating: 'GREEN',
            throughputLevel: null,
          },
        }),
      updateProfile: () => Promise.resolve({ ok: true }),
      simulator: simulatorNumbers({
        system: fixture.system,
        // In memory: its webhooks go nowhere (nothing here needs them).
        simulator: new CloudApiSimulator({
          clock: fixture.clock,
          webhooks: new WebhookDispatcher({ clock: fixture.clock, post: () => Promise.resolve(200) }),
        }),
        secretBox,
        callbackUrl: (orgId) => `https://parlo.test/webhooks/whatsapp/${orgId}`,
        logger: silentLogger(),
      }),
    }),
    ...webhookRoutes({ system: fixture.system, secretBox, targetPolicy: STRICT_WEBHOOK_TARGETS }),
    ...contactRoutes({ system: fixture.system, now: () => fixture.clock.now() }),
    ...billingRoutes({ system: fixture.system, now: () => fixture.clock.now() }),
    ...mediaRoutes({ store: mediaStore, refs: mediaRefs }),
    ...templateRoutes({
      system: fixture.system,
      secretBox,
      graph: { baseUrl: 'https://graph.invalid', apiVersion: 'v23.0' },
      // Stands in for Meta: every submission is taken for review (the real calls have their own tests).
      submitTemplate: () =>
        Promise.resolve({
          ok: true,
          templateId: String(9_000_000 + ++metaTemplateIds),
          status: 'PENDING',
          category: 'UTILITY',
        }),
      deleteTemplate: () => Promise.resolve({ ok: true }),
    }),
    ...campaignRoutes({ system: fixture.system, rateCards: [DEFAULT_RATE_CARD], now: () => fixture.clock.now() }),
    ...realtimeRoutes({ realtimeUrl: () => 'ws://realtime.tenancy.test/v1/realtime' }),
  ];
  app = buildHttpApp({
    system: fixture.system,
    metrics: fixture.metrics,
    logger: silentLogger(),
    api: { routes, authenticate: createAuthenticate(fixture.system) },
  });
  const served = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(served.statusCode).toBe(200);
  doc = served.json<OpenApiDocument>();

  // Org A: one user per role, a role-change target, a key and a pending invite.
  const ownerA = await signUp('Tenant A', 'owner-a@tenancy.test');
  const users = { owner: { userId: ownerA.userId, token: ownerA.token, password: PASSWORD } } as OrgA['users'];
  for (const role of ROLES) if (role !== 'owner') users[role] = await addMember(ownerA.token, role);
  a = {
    orgId: ownerA.orgId,
    users,
    target: await addMember(ownerA.token, 'viewer'),
    keyId: (await createKey(ownerA.token, 'a')).id,
    inviteId: (await invite(ownerA.token, 'viewer')).inviteId,
    ...(await connectCloudNumber(ownerA.token)),
    ...(await webhookIds(ownerA.token, ownerA.orgId)),
    contactKey: await recordConsent(ownerA.token, 'p15550000001', 'tenancy a'),
    mediaRef: await receivedPhoto(ownerA.orgId),
    templateId: '',
    segmentId: '',
    campaignId: '',
    quickReplyId: await createQuickReply(ownerA.token, 'shared'),
  };
  a = { ...a, templateId: await createTemplate(ownerA.token), segmentId: await createSegment(ownerA.token) };
  const topUp = await call('POST', '/v1/billing/top-ups', { token: ownerA.token, body: { amountMicros: 100_000_000 } });
  expect(topUp.statusCode, topUp.body).toBe(201);
  await approvedCampaignTemplate(ownerA.token, a.orgId, a.wabaId);
  a = { ...a, campaignId: await createCampaign('running') };

  // Org B: owner, an operator, a key and a pending invite.
  const ownerB = await signUp('Tenant B', 'owner-b@tenancy.test');
  const memberB = await addMember(ownerB.token, 'operator');
  b = {
    orgId: ownerB.orgId,
    owner: { userId: ownerB.userId, token: ownerB.token },
    member: { userId: memberB.userId, role: 'operator' },
    key: await createKey(ownerB.token, 'b'),
    inviteId: (await invite(ownerB.token, 'viewer', 'invitee-b@tenancy.test')).inviteId,
    ...(await connectCloudNumber(ownerB.token)),
    ...(await webhookIds(ownerB.token, ownerB.orgId)),
    contactKey: await recordConsent(ownerB.token, 'p15550000002', 'tenancy b'),
    mediaRef: await receivedPhoto(ownerB.orgId),
    templateId: '',
    segmentId: '',
    campaignId: '',
    quickReplyId: await createQuickReply(ownerB.token, 'shared'),
  };
  b = { ...b, templateId: await createTemplate(ownerB.token, b.wabaId), segmentId: await createSegment(ownerB.token) };
  {
    // B's campaign: a draft of B's own (its id in A's paths must find nothing).
    const created = await call('POST', '/v1/campaigns', {
      token: ownerB.token,
      body: { ...campaignInput(), phoneNumberId: b.phoneNumberId, audience: { contacts: [b.contactKey] } },
    });
    expect(created.statusCode, created.body).toBe(201);
    b = { ...b, campaignId: (JSON.parse(created.body) as { id: string }).id };
  }
  await connectSimulatorNumber(ownerB.token);
  await customerWrites(a.orgId, a.phoneNumberId);
  await customerWrites(b.orgId, b.phoneNumberId);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await fixture?.dispose();
});

// ---------------------------------------------------------------- tests

describe('tenancy and RBAC, generated from the OpenAPI document', () => {
  it('lists every non-public operation in CASES, with the permission the document declares', () => {
    const problems: string[] = [];
    for (const { method, path, op } of operations()) {
      if (isPublic(op)) continue;
      const entry = CASES[op.operationId];
      if (!entry) {
        problems.push(`${op.operationId} (${method} ${path}) is missing from CASES: add its permission and body`);
        continue;
      }
      if (!op.security.some((scheme) => 'sessionToken' in scheme)) {
        problems.push(`${op.operationId} takes no session: the role matrix cannot call it; extend this test`);
      }
      const declared = declaredScopes(op);
      for (const scope of declared)
        if (!isPermission(scope)) problems.push(`${op.operationId}: ${scope} is no permission`);
      if (declared.length > 1) problems.push(`${op.operationId} declares several scopes; extend this test`);
      if (declared.length === 1 && entry.permission !== declared[0]) {
        problems.push(`${op.operationId}: CASES says ${entry.permission}, the route declares ${declared[0]}`);
      }
    }
    const inDoc = new Set(operations().map(({ op }) => op.operationId));
    for (const id of Object.keys(CASES)) if (!inDoc.has(id)) problems.push(`CASES lists ${id}, which no route has`);
    expect(problems).toEqual([]);
    // The document is not empty by accident.
    expect(operations().filter(({ op }) => !isPublic(op)).length).toBeGreaterThanOrEqual(Object.keys(CASES).length);
  });

  it("answers 404 to org A's owner for every id of org B in a path, and leaves B unchanged", async () => {
    // Writes addressed by outside ids create A's own record: they go last, so that it hides no 404.
    const isOutsideIdWrite = ({ op }: Operation): number => Number(CASES[op.operationId]?.outsideIdWrite === true);
    const withParams = operations()
      .filter(({ op }) => pathParams(op).length > 0)
      .sort((x, y) => isOutsideIdWrite(x) - isOutsideIdWrite(y));
    expect(withParams.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const { method, path, op } of withParams) {
      const params: Record<string, string> = {};
      for (const name of pathParams(op)) {
        const idOf = B_IDS[name];
        if (!idOf) {
          problems.push(
            `${op.operationId}: path parameter {${name}} is not in B_IDS of tenancy-rbac.int.test.ts; map it to an id of org B`,
          );
          continue;
        }
        params[name] = idOf(b);
      }
      if (Object.keys(params).length !== pathParams(op).length) continue;
      const entry = CASES[op.operationId];
      const body = entry?.body?.('owner');
      const url = fillPath(path, params);
      const res = await call(method, url, { token: a.users.owner.token, ...(body === undefined ? {} : { body }) });
      if (entry?.outsideIdWrite === true) {
        if (res.statusCode < 200 || res.statusCode >= 300) {
          problems.push(`${op.operationId} ${method} ${url}: expected a 2xx on A's own record, got ${res.statusCode}`);
        }
        continue;
      }
      if (res.statusCode !== 404 || !isErrorBody(res)) {
        problems.push(
          `${op.operationId} ${method} ${url}: expected 404 with an error body, got ${res.statusCode} ${res.body}`,
        );
      }
    }
    expect(problems).toEqual([]);

    // B is as it was: its key works, its member keeps its role, its invite is pending, its owner is there.
    const asKey = await call('GET', '/v1/me', { key: b.key.key });
    expect(asKey.statusCode, asKey.body).toBe(200);
    expect(asKey.json()).toMatchObject({ kind: 'apiKey', orgId: b.orgId });
    const orgB = await call('GET', '/v1/org', { token: b.owner.token });
    expect(orgB.statusCode, orgB.body).toBe(200);
    const view = orgB.json<{
      members: { userId: string; role: string; status: string }[];
      invites: { inviteId: string }[];
      apiKeys: { id: string; revokedAt: string | null }[];
    }>();
    expect(view.members).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: b.owner.userId, role: 'owner', status: 'active' }),
        expect.objectContaining({ userId: b.member.userId, role: b.member.role, status: 'active' }),
      ]),
    );
    expect(view.invites.map((i) => i.inviteId)).toContain(b.inviteId);
    expect(view.apiKeys).toEqual([expect.objectContaining({ id: b.key.id, revokedAt: null })]);
    // B's webhook endpoint is there and enabled, its dead letter still listed.
    const endpointB = await call('GET', `/v1/webhook-endpoints/${b.endpointId}`, { token: b.owner.token });
    expect(endpointB.statusCode, endpointB.body).toBe(200);
    expect(endpointB.json()).toMatchObject({ id: b.endpointId, enabled: true });
    const deadB = await call('GET', `/v1/webhook-endpoints/${b.endpointId}/dead-letters`, { token: b.owner.token });
    expect(deadB.json<{ data: { deliveryId: string }[] }>().data.map((d) => d.deliveryId)).toContain(b.deliveryId);
    // B's contact keeps its one consent record: A's writes with its key went to A's own record of that customer.
    const contactB = await call('GET', `/v1/contacts/${b.contactKey}`, { token: b.owner.token });
    expect(contactB.statusCode, contactB.body).toBe(200);
    const evidenceB = contactB.json<{ consent: { marketing: { evidence: { source: string }[] } } }>().consent.marketing
      .evidence;
    expect(evidenceB.map((e) => e.source)).toEqual(['tenancy b']);
    // And A sees none of B's people.
    const orgA = (await call('GET', '/v1/org', { token: a.users.owner.token })).json<{
      members: { userId: string }[];
    }>();
    expect(orgA.members.map((m) => m.userId)).not.toContain(b.member.userId);
  });

  it('answers 401 to every non-public operation without a credential', async () => {
    const problems: string[] = [];
    for (const { method, path, op } of operations().filter(({ op }) => !isPublic(op))) {
      const params = Object.fromEntries(
        pathParams(op).map((name) => [name, A_IDS[name]?.(a) ?? 'unknown-path-parameter']),
      );
      // A valid body with nothing to change: the body builders' side effects only apply after a 2xx.
      const body = op.requestBody ? (CASES[op.operationId]?.body?.('viewer') ?? {}) : undefined;
      const url = fillPath(path, params);
      const res = await call(method, url, body === undefined ? {} : { body });
      if (res.statusCode !== 401 || !isErrorBody(res)) {
        problems.push(
          `${op.operationId} ${method} ${url}: expected 401 with an error body, got ${res.statusCode} ${res.body}`,
        );
      }
    }
    expect(problems).toEqual([]);
  });

  it('lets exactly the roles that hold the permission call each operation (role × route matrix)', async () => {
    const guarded = operations().filter(({ op }) => !isPublic(op));
    // Operations that end the caller's session go last, so that they break no later case.
    const ordered = [
      ...guarded.filter(({ op }) => !caseOf(op.operationId).endsSession),
      ...guarded.filter(({ op }) => caseOf(op.operationId).endsSession),
    ];
    const problems: string[] = [];
    const matrix: string[] = [];
    for (const { method, path, op } of ordered) {
      const entry = caseOf(op.operationId);
      const row: string[] = [];
      for (const role of ROLES) {
        const allowed = entry.permission === null || can(role, entry.permission);
        const params = entry.params
          ? await entry.params(role)
          : Object.fromEntries(
              pathParams(op).map((name) => {
                const idOf = A_IDS[name];
                if (!idOf) throw new Error(`${op.operationId}: path parameter {${name}} is not in A_IDS`);
                return [name, idOf(a)];
              }),
            );
        const body = entry.body?.(role);
        const query = entry.query?.(role);
        const url = fillPath(path, params) + (query === undefined ? '' : `?${new URLSearchParams(query).toString()}`);
        const res = await call(method, url, { token: a.users[role].token, ...(body === undefined ? {} : { body }) });
        row.push(`${role}:${res.statusCode}`);
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        if (ok) entry.after?.(role);
        if (allowed && !ok) {
          problems.push(
            `${op.operationId} as ${role}: ${entry.permission ?? 'any member'} allows it, got ${res.statusCode} ${res.body}`,
          );
        }
        if (!allowed && (res.statusCode !== 403 || errorCode(res) !== 'PARLO_ACCESS_FORBIDDEN')) {
          problems.push(
            `${op.operationId} as ${role}: ${role} lacks ${entry.permission}, expected 403 PARLO_ACCESS_FORBIDDEN, got ${res.statusCode} ${res.body}`,
          );
        }
      }
      matrix.push(`${op.operationId.padEnd(16)} ${(entry.permission ?? '-').padEnd(20)} ${row.join(' ')}`);
    }
    expect(problems, matrix.join('\n')).toEqual([]);
  });
});
