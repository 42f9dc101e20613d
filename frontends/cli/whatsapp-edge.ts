import { randomBytes } from 'node:crypto';
import {
  FETCH_MEDIA_OPERATION,
  type Logger,
  type MediaFetchRequest,
  type MediaStorePort,
  type Ports,
} from '../../core/index.ts';
import { ConfigError, type ParloConfig } from '../../config/index.ts';
import { createCloudApiClient, type CloudApiClient } from '../../adapters/whatsapp-cloud/client.ts';
import { createMediaFetcher, type MediaFetcher } from '../../adapters/whatsapp-cloud/media-fetch.ts';
import { startSimulatorServer, type SimulatorServer } from '../../adapters/whatsapp-cloud/simulator/server.ts';

/** Where Meta (or the simulator) posts webhooks on our HTTP frontend. */
export const WHATSAPP_WEBHOOK_PATH = '/webhooks/whatsapp';

/** The embedded simulator's demo account, registered at start so the platform works out of the box. */
export const DEMO_WABA_ID = '100000000000001';
export const DEMO_PHONE_NUMBER_ID = '100000000000002';
export const DEMO_DISPLAY_PHONE_NUMBER = '15550000001';

export interface WhatsAppEdge {
  readonly mode: 'simulator' | 'cloud';
  readonly client: CloudApiClient;
  /** The Graph API this node talks to: Meta's, or the bundled simulator's URL. */
  readonly graphBaseUrl: string;
  readonly ports: Ports;
  readonly verifyToken: string;
  /** The installation's own account token (config, or the simulator demo account's). */
  readonly accessToken: string;
  /** Sets how the client finds a number's token (numbers connected by organisations have their own). */
  useTokens(tokenFor: (phoneNumberId: string) => string | undefined | Promise<string | undefined>): void;
  readonly appSecrets: readonly string[];
  readonly simulator: SimulatorServer | undefined;
  /** Registers the demo account with the simulator once our webhook URL is known (simulator mode only). */
  connect(webhookBaseUrl: string): void;
  close(): Promise<void>;
}

/**
 * The WhatsApp Cloud API edge from config: Meta itself in `cloud` mode, the bundled simulator otherwise (with
 * fresh credentials each run and a demo number whose webhooks come back to this node).
 */
export async function startWhatsAppEdge(
  config: ParloConfig,
  logger: Logger,
  options: {
    /** Where `fetchMedia` keeps customers' media; without it the port has no `fetchMedia` operation. */
    readonly mediaStore?: MediaStorePort;
  } = {},
): Promise<WhatsAppEdge> {
  const settings = config.whatsapp;
  let simulator: SimulatorServer | undefined;
  let baseUrl = settings.graphBaseUrl;
  let accessToken = settings.accessToken;
  let appSecrets = settings.appSecret
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  let verifyToken = settings.verifyToken;
  if (settings.mode === 'cloud') {
    const missing = (['accessToken', 'appSecret', 'verifyToken'] as const).filter((key) => settings[key].trim() === '');
    if (missing.length > 0) {
      throw new ConfigError(
        missing.map((key) => ({
          path: `whatsapp.${key}`,
          source: `PARLO_WHATSAPP__${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`,
          message: 'required when whatsapp.mode is cloud',
        })),
      );
    }
  } else {
    simulator = await startSimulatorServer({ port: settings.simulatorPort });
    baseUrl = simulator.url;
    accessToken = `SIM${randomBytes(24).toString('base64url')}`;
    appSecrets = [randomBytes(16).toString('hex')];
    verifyToken = randomBytes(12).toString('base64url');
  }
  let tokenFor: (phoneNumberId: string) => string | undefined | Promise<string | undefined> = () => accessToken;
  const client = createCloudApiClient({
    baseUrl,
    apiVersion: settings.apiVersion,
    accessToken: (phoneNumberId) => tokenFor(phoneNumberId),
  });
  // Media downloads use the same token lookup as sends (a number's own token once connected).
  const media: MediaFetcher | undefined = options.mediaStore
    ? createMediaFetcher({
        baseUrl,
        apiVersion: settings.apiVersion,
        accessToken: (phoneNumberId) => tokenFor(phoneNumberId),
        store: options.mediaStore,
      })
    : undefined;
  const ports: Ports = {
    'whatsapp-cloud': {
      send: (input) => client.send(input as Parameters<CloudApiClient['send']>[0]),
      markRead: (input) => client.markRead(input as Parameters<CloudApiClient['markRead']>[0]),
      ...(media ? { [FETCH_MEDIA_OPERATION]: (input) => media.fetchMedia(input as MediaFetchRequest) } : {}),
    },
  };
  return {
    mode: settings.mode,
    client,
    graphBaseUrl: baseUrl,
    ports,
    verifyToken,
    accessToken,
    useTokens(resolver) {
      tokenFor = resolver;
    },
    appSecrets,
    simulator,
    connect(webhookBaseUrl) {
      if (!simulator) return;
      simulator.simulator.registerWaba({
        wabaId: DEMO_WABA_ID,
        appSecret: appSecrets[0]!,
        accessToken,
        callbackUrl: `${webhookBaseUrl}${WHATSAPP_WEBHOOK_PATH}`,
      });
      simulator.simulator.registerNumber({
        wabaId: DEMO_WABA_ID,
        phoneNumberId: DEMO_PHONE_NUMBER_ID,
        displayPhoneNumber: DEMO_DISPLAY_PHONE_NUMBER,
      });
      logger.info(
        {
          simulator: simulator.url,
          wabaId: DEMO_WABA_ID,
          phoneNumberId: DEMO_PHONE_NUMBER_ID,
          controlApi: `${simulator.url}/_sim`,
        },
        `WhatsApp Cloud API simulator at ${simulator.url} (demo number ${DEMO_PHONE_NUMBER_ID}; inject customer messages with POST ${simulator.url}/_sim/inbound)`,
      );
    },
    async close() {
      await client.close();
      await media?.close();
      await simulator?.close();
    },
  };
}
