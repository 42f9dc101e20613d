import { join } from 'node:path';
import {
  ActorSystem,
  InMemoryMetrics,
  InProcessHub,
  NoopMetrics,
  RuntimeStore,
  SystemClock,
  allPartitions,
  connectNatsTransport,
  createLogger,
  createWireCodec,
  type AnyActorDefinition,
  type Clock,
  type Logger,
  type Metrics,
  type Ports,
  type Transport,
} from '../../core/index.ts';
import type { ParloConfig } from '../../config/index.ts';
import { ACTOR_DEFINITIONS } from '../../actors/registry.ts';
import { createWalletActor } from '../../actors/billing/wallet.actor.ts';
import { WALLET_KIND } from '../../actors/billing/wallet.messages.ts';
import { createConversationActor } from '../../actors/conversation/conversation.actor.ts';
import { CONVERSATION_KIND } from '../../actors/conversation/conversation.messages.ts';
import { createInboxStreamActor } from '../../actors/inbox/inbox-stream.actor.ts';
import { INBOX_STREAM_KIND } from '../../actors/inbox/inbox-stream.messages.ts';
import { createMessageSearchActor } from '../../actors/message-search/message-search.actor.ts';
import { MESSAGE_SEARCH_KIND } from '../../actors/message-search/message-search.messages.ts';
import { createCampaignRunActor } from '../../actors/campaigns/campaign-run.actor.ts';
import { CAMPAIGN_RUN_KIND } from '../../actors/campaigns/recipient-outcome.ts';
import { clickTokenKeys } from './click-keys.ts';
import { rateCardsOf } from './rate-cards.ts';
import { buildHttpApp } from '../http/app.ts';
import { DEFAULT_INBOX_DIST_DIR } from '../http/routes/inbox-app.routes.ts';
import { createAuthenticate } from '../http/auth/authenticate.ts';
import { RateLimiter, publicRateLimit, withRateLimit } from '../http/auth/rate-limit.ts';
import { actorIdempotency } from '../http/idempotency/idempotency-store.ts';
import { apiKeyRoutes } from '../http/routes/api-keys.routes.ts';
import { billingRoutes } from '../http/routes/billing.routes.ts';
import { templateRoutes } from '../http/routes/templates.routes.ts';
import { campaignRoutes } from '../http/routes/campaigns.routes.ts';
import { ApiKeyCache } from '../http/auth/api-key-cache.ts';
import { TtlCache } from '../http/ttl-cache.ts';
import { contactRoutes } from '../http/routes/contacts.routes.ts';
import { identityRoutes } from '../http/routes/identity.routes.ts';
import { numberRoutes } from '../http/routes/numbers.routes.ts';
import { inboxRoutes } from '../http/routes/inbox.routes.ts';
import { operatorRoutes } from '../http/routes/operators.routes.ts';
import { quickReplyRoutes } from '../http/routes/quick-replies.routes.ts';
import { messageRoutes } from '../http/routes/messages.routes.ts';
import { mediaRoutes } from '../http/routes/media.routes.ts';
import { webhookRoutes } from '../http/routes/webhooks.routes.ts';
import { realtimeRoutes } from '../http/routes/realtime.routes.ts';
import { startRealtimeGateway, type RealtimeGateway } from '../realtime/gateway.ts';
import { fetchPhoneNumberInfo, updateBusinessProfile } from '../../adapters/whatsapp-cloud/number-admin.ts';
import { deleteTemplate, submitTemplate } from '../../adapters/whatsapp-cloud/template-admin.ts';
import { numberCredentials } from './number-credentials.ts';
import { organisationWebhooks } from './org-webhooks.ts';
import { simulatorNumbers } from './simulator-numbers.ts';
import { actorInboundSink } from './inbound-sink.ts';
import { openSecretBox } from './secret-box.ts';
import { openMedia } from './media.ts';
import { erasurePseudonyms } from './erasure-pseudonyms.ts';
import { outboundWebhooks } from './outbound-webhooks.ts';
import { withNumberSettings } from './number-settings.ts';
import { WHATSAPP_WEBHOOK_PATH, startWhatsAppEdge, type WhatsAppEdge } from './whatsapp-edge.ts';

/** A running platform node and how to stop it. */
export interface RunningParlo {
  readonly system: ActorSystem;
  readonly store: RuntimeStore;
  readonly transport: Transport;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly runtimeDir: string;
  /** Where the HTTP frontend listens, e.g. `http://127.0.0.1:8080`. */
  readonly httpUrl: string;
  /** Where the realtime WebSocket gateway listens, e.g. `ws://127.0.0.1:8081/v1/realtime`. */
  readonly realtimeUrl: string;
  readonly whatsapp: WhatsAppEdge;
  /** Finishes in-flight turns, commits them, closes the transport and LMDB. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOverrides {
  readonly definitions?: readonly AnyActorDefinition[];
  readonly ports?: Ports;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * The one composition root: config → store → transport → runtime (→ adapters and frontends as they land).
 * Nothing else in the code base creates these objects for production use.
 */
export async function startParlo(config: ParloConfig, overrides: StartOverrides = {}): Promise<RunningParlo> {
  const logger = overrides.logger ?? createLogger({ level: config.log.level, pretty: config.log.pretty });
  const metrics: Metrics = config.metrics.enabled ? new InMemoryMetrics() : new NoopMetrics();
  // Before anything is opened: a missing or bad key stops the start with a ConfigError naming the setting.
  const secretBox = openSecretBox(config);
  // The rate cards billable messages are priced with (billing.rateCardsFile; a bad file is a ConfigError too).
  const conversation = createConversationActor({
    rateCards: rateCardsOf(config),
    reconcileAfterMs: config.sending.reconcileAfterSec * 1_000,
  });
  // Customers' media under <dataDir>/media; its API refs are keyed from the SecretBox keys (frontends/cli/media.ts).
  const media = await openMedia(config);
  const runtimeDir = join(config.dataDir, 'runtime');
  const store = RuntimeStore.open(runtimeDir);
  let transport: Transport;
  try {
    transport =
      config.transport.kind === 'nats'
        ? await connectNatsTransport({
            servers: config.transport.natsUrl.split(',').map((url) => url.trim()),
            nodeId: config.nodeId,
            streamName: config.transport.streamName,
            partitionCount: config.runtime.partitionCount,
            streamReplicas: config.transport.streamReplicas,
            codec: createWireCodec(),
            logger,
          })
        : new InProcessHub({ logger }).connect(config.nodeId);
  } catch (err) {
    await store.close();
    throw err;
  }
  let whatsapp: WhatsAppEdge;
  try {
    whatsapp = await startWhatsAppEdge(config, logger, { mediaStore: media.store });
  } catch (err) {
    await transport.close();
    await store.close();
    throw err;
  }
  // Outbound webhooks: the HTTP sender port and the delivery actor on the configured retry window.
  const signingClock = overrides.clock;
  const webhooks = outboundWebhooks(config, secretBox, signingClock ? () => signingClock.now() : Date.now);
  // The wallet with the configured starting credit of a new organisation (billing.startingCreditMicros).
  const wallet = createWalletActor({ startingCreditMicros: config.billing.startingCreditMicros });
  // The inbox stream keeps events for resuming clients as long as configured (realtime.retentionSec).
  const inboxStream = createInboxStreamActor({ retentionMs: config.realtime.retentionSec * 1_000 });
  // The inbox's search by message text reaches back as far as configured (inbox.searchableMessagesPerNumber).
  const messageSearch = createMessageSearchActor({ maxEntries: config.inbox.searchableMessagesPerNumber });
  // Campaign click tokens are made with a key derived from the sealing key (frontends/cli/click-keys.ts).
  const clickKeys = clickTokenKeys(config);
  const campaignRun = createCampaignRunActor({ clickKey: clickKeys[0]! });
  // The number actor on the configured pair rate and negative-feedback thresholds (sending.*).
  const definitions =
    overrides.definitions ??
    withNumberSettings(webhooks.definitions(ACTOR_DEFINITIONS), config).map((d) =>
      d.kind === WALLET_KIND
        ? wallet
        : d.kind === CONVERSATION_KIND
          ? conversation
          : d.kind === INBOX_STREAM_KIND
            ? inboxStream
            : d.kind === MESSAGE_SEARCH_KIND
              ? messageSearch
              : d.kind === CAMPAIGN_RUN_KIND
                ? campaignRun
                : d,
    );
  const system = new ActorSystem({
    nodeId: config.nodeId,
    definitions,
    store,
    transport,
    clock: overrides.clock ?? new SystemClock(),
    logger,
    metrics,
    ports: { ...whatsapp.ports, ...webhooks.ports, ...overrides.ports },
    partitionCount: config.runtime.partitionCount,
    ownedPartitions: allPartitions(config.runtime.partitionCount),
    mailboxCapacity: config.runtime.mailboxCapacity,
    askTimeoutMs: config.runtime.askTimeoutMs,
    idlePassivateMs: config.runtime.idlePassivateMs,
    maxActivations: config.runtime.maxActivations,
    dedupeRetentionMs: config.runtime.dedupeRetentionMs,
    maxTurnsPerCommit: config.runtime.maxTurnsPerCommit,
  });
  // Before the start: sends left in the outbox by a crash are replayed during it, and must go out with their
  // number's own token, not the installation's (a replay with the wrong token is refused for good, 190).
  const tokens = numberCredentials({ system, secretBox, installationToken: () => whatsapp.accessToken });
  whatsapp.useTokens((phoneNumberId) => tokens.tokenFor(phoneNumberId));
  await system.start();
  const clock = overrides.clock;
  // Known once the HTTP frontend listens (port 0 picks one), unless configured.
  let publicBaseUrl = config.http.publicUrl.replace(/\/+$/, '');
  // Known once the realtime gateway listens, unless configured.
  let publicRealtimeUrl = config.realtime.publicUrl;
  const orgWebhooks = organisationWebhooks({ system, secretBox, logger });
  const simulated = whatsapp.simulator
    ? simulatorNumbers({
        system,
        simulator: whatsapp.simulator.simulator,
        secretBox,
        callbackUrl: (orgId) => `${publicBaseUrl}${WHATSAPP_WEBHOOK_PATH}/${orgId}`,
        logger,
      })
    : undefined;
  // Verified API keys, trusted for 10 s per node (a revocation through this node drops its key at once).
  const apiKeys = new ApiKeyCache(clock ? () => clock.now() : Date.now);
  // Which numbers are whose, trusted for 10 s per node (cleared when numbers change through this node).
  const ownedNumbers = new TtlCache<string, true>(10_000, 100_000, clock ? () => clock.now() : Date.now);
  const apiRoutes = [
    // Embedded mode has no mail server: invite tokens go to the console log for the operator to pass on.
    ...identityRoutes({
      system,
      logInviteTokens: config.transport.kind === 'in-process',
      ...(clock ? { now: () => clock.now() } : {}),
    }),
    ...apiKeyRoutes({ system, apiKeys }),
    ...messageRoutes({ system, mediaRefs: media.refs, ownedNumbers }),
    ...inboxRoutes({ system }),
    ...operatorRoutes({ system }),
    ...quickReplyRoutes({ system }),
    ...mediaRoutes({ store: media.store, refs: media.refs }),
    ...numberRoutes({
      system,
      secretBox,
      publicBaseUrl: () => publicBaseUrl,
      webhookPath: WHATSAPP_WEBHOOK_PATH,
      graph: { baseUrl: whatsapp.graphBaseUrl, apiVersion: config.whatsapp.apiVersion },
      lookupNumber: fetchPhoneNumberInfo,
      updateProfile: updateBusinessProfile,
      ...(simulated ? { simulator: simulated } : {}),
      onWebhookSecretsChanged: (orgId) => {
        orgWebhooks.invalidate(orgId);
        tokens.invalidateAll();
        ownedNumbers.clear();
      },
    }),
    ...webhookRoutes({
      system,
      secretBox,
      targetPolicy: webhooks.targetPolicy,
      onEndpointsChanged: (orgId) => orgWebhooks.invalidate(orgId),
    }),
    ...contactRoutes({
      system,
      ...(clock ? { now: () => clock.now() } : {}),
      pseudonymOf: erasurePseudonyms(config),
      eraseMedia: (ref) => media.store.delete(ref),
    }),
    ...billingRoutes({ system, ...(clock ? { now: () => clock.now() } : {}) }),
    ...templateRoutes({
      system,
      secretBox,
      graph: { baseUrl: whatsapp.graphBaseUrl, apiVersion: config.whatsapp.apiVersion },
      submitTemplate,
      deleteTemplate,
    }),
    ...campaignRoutes({
      system,
      rateCards: rateCardsOf(config),
      clickBaseUrl: () => publicBaseUrl,
      ...(clock ? { now: () => clock.now() } : {}),
    }),
    ...realtimeRoutes({ realtimeUrl: () => publicRealtimeUrl }),
  ];
  const rateLimiter = new RateLimiter({
    perKeyPerSec: config.api.ratePerKeyPerSec,
    perOrgPerSec: config.api.ratePerOrgPerSec,
    perAddressPerSec: config.api.ratePerAddressPerSec,
    burstSeconds: config.api.rateBurstSeconds,
    ...(clock ? { now: () => clock.now() } : {}),
  });
  const http = buildHttpApp({
    system,
    metrics,
    logger,
    api: {
      routes: apiRoutes,
      authenticate: withRateLimit(createAuthenticate(system, { apiKeys }), rateLimiter),
      guardPublic: publicRateLimit(rateLimiter),
      idempotency: actorIdempotency(system, { retentionMs: config.api.idempotencyRetentionHours * 60 * 60 * 1000 }),
    },
    whatsappWebhook: {
      path: WHATSAPP_WEBHOOK_PATH,
      verifyToken: () => whatsapp.verifyToken,
      appSecrets: () => whatsapp.appSecrets,
      sink: actorInboundSink(system),
      organisations: orgWebhooks,
    },
    // Tracked campaign buttons: `/r/<token>`, public, under the per-address rate limit.
    clickRedirect: {
      system,
      keys: clickKeys,
      guard: publicRateLimit(rateLimiter),
      ...(clock ? { now: () => clock.now() } : {}),
    },
    // The inbox web app at `/` (npm run build:inbox; npm start builds it first).
    inbox: { distDir: DEFAULT_INBOX_DIST_DIR },
  });
  let httpUrl: string;
  let realtime: RealtimeGateway;
  try {
    httpUrl = await http.listen({ host: config.http.host, port: config.http.port });
    try {
      realtime = await startRealtimeGateway({
        system,
        transport,
        mediaRefs: media.refs,
        logger,
        metrics,
        host: config.realtime.host,
        port: config.realtime.port,
        maxBackpressureBytes: config.realtime.maxBackpressureBytes,
        idleTimeoutSec: config.realtime.idleTimeoutSec,
        ownedNumbers,
        // The sessions' clock: a socket closes when its access token expires by that clock.
        ...(clock === undefined ? {} : { clock }),
      });
    } catch (err) {
      await http.close();
      throw err;
    }
  } catch (err) {
    await system.stop();
    await webhooks.close();
    await whatsapp.close();
    await transport.close();
    await store.close();
    throw err;
  }
  if (publicBaseUrl === '') publicBaseUrl = httpUrl;
  if (publicRealtimeUrl === '') publicRealtimeUrl = realtime.url;
  whatsapp.connect(httpUrl);
  await simulated?.restore();
  logger.info(
    {
      nodeId: config.nodeId,
      dataDir: config.dataDir,
      runtimeDir,
      transport: transport.kind,
      natsUrl: transport.kind === 'nats' ? config.transport.natsUrl : undefined,
      partitions: config.runtime.partitionCount,
      http: httpUrl,
      realtime: realtime.url,
      whatsapp: whatsapp.mode,
      actorKinds: definitions.map((d) => d.kind),
    },
    `parlo node started (${transport.kind} transport, data in ${runtimeDir})`,
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      logger.info('stopping: finishing in-flight turns');
      await realtime.close();
      await http.close();
      await system.stop();
      await webhooks.close();
      await whatsapp.close();
      await transport.close();
      await store.close();
      logger.info('stopped; all turns committed and LMDB closed');
    })());
  return { system, store, transport, logger, metrics, runtimeDir, httpUrl, realtimeUrl: realtime.url, whatsapp, stop };
}
