import { z } from 'zod';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';

/**
 * Where the realtime gateway (frontends/realtime) listens, so that the web app finds it: the WebSocket URL of
 * config `realtime.publicUrl`, or the address the gateway listens on. The gateway authenticates with the same
 * session access token and checks the same permission (`messages:read`) at subscribe time.
 */
export interface RealtimeRoutesDeps {
  /** The public WebSocket URL (known once the gateway listens). */
  readonly realtimeUrl: () => string;
}

export function realtimeRoutes(deps: RealtimeRoutesDeps): ApiRoute[] {
  const getRealtimeEndpoint = defineRoute({
    method: 'GET',
    url: '/realtime',
    operationId: 'getRealtimeEndpoint',
    summary: 'Where to connect for realtime inbox events (WebSocket)',
    description:
      'Connect to `url` with the session access token as the subprotocol `parlo.bearer.<token>` (offer `parlo.v1` too) or the query parameter `access_token`, then subscribe to the organisation, a number or a conversation. See "Realtime inbox events (WebSocket)" in the README.',
    tags: ['realtime'],
    auth: 'session',
    scopes: ['messages:read'],
    responses: {
      200: z
        .object({ url: z.string().describe('The WebSocket URL, ws:// or wss://, ending in /v1/realtime by default') })
        .meta({ id: 'RealtimeEndpoint' }),
    },
    handler() {
      return { status: 200, body: { url: deps.realtimeUrl() } };
    },
  });
  return [getRealtimeEndpoint];
}
