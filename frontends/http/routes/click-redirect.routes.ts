import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import type { CampaignRunReplies, RecipientClicked } from '../../../actors/campaigns/campaign-run.messages.ts';
import { readClickToken, type ClickRef } from '../../../actors/campaigns/click-token.ts';
import { campaignRunAddress } from '../../../actors/campaigns/recipient-outcome.ts';
import { CLICK_REDIRECT_PATH } from '../../../actors/campaigns/tracked-link.ts';
import type { GuardPublic } from '../api/register-routes.ts';
import { TtlCache } from '../ttl-cache.ts';

/**
 * The click redirect of tracked campaign buttons (issue #6, 4): `GET /r/<token>`, public. The token (made by the
 * campaign run, click-token.ts) is verified with the installation's click keys; a valid one is answered at once with
 * `302 Location: <the button's destination>` and the click told to its run (`recipientClicked`), without waiting
 * for the count to commit. The tell sits in the run's mailbox in this process, and a clean stop finishes every
 * queued turn before it closes the store, so a click answered before a stop is counted. A forged, truncated or
 * unknown token gets a small 404 page. HEAD requests (link checkers, previews) are answered the same way but not
 * counted.
 *
 * Fixed destinations are cached per node (a run's plan never changes); a destination that reads contact fields is
 * asked of the run for each click (a read, no commit of its own).
 */

export interface ClickRedirectOptions {
  readonly system: ActorSystem;
  /** The click keys, the one new tokens are made with first; any of them verifies a token. */
  readonly keys: readonly Uint8Array[];
  /** Admits a request (the per-address rate limit of public routes); throws a ParloError (429) to refuse. */
  readonly guard?: GuardPublic;
  readonly now?: () => number;
}

/** How long, and how many, fixed destinations a node keeps. */
const DESTINATION_TTL_MS = 10 * 60_000;
const MAX_CACHED_DESTINATIONS = 10_000;

const NOT_FOUND_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Link not found</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem">
<h1>Link not found</h1><p>This link is not valid. Please check that it was copied in full.</p></body></html>
`;

export function registerClickRedirectRoutes(app: FastifyInstance, options: ClickRedirectOptions): Promise<void> {
  const { system, keys, guard } = options;
  const now = options.now ?? Date.now;
  const fixed = new TtlCache<string, string>(DESTINATION_TTL_MS, MAX_CACHED_DESTINATIONS, now);

  const destinationOf = async (ref: ClickRef): Promise<string | null> => {
    const cacheKey = `${ref.runId}|${ref.variant}|${ref.button}`;
    const cached = fixed.get(cacheKey);
    if (cached !== undefined) return cached;
    const target = await system.ask<CampaignRunReplies['getClickTarget']>(campaignRunAddress(ref.runId), {
      type: 'getClickTarget',
      recipient: ref.recipient,
      button: ref.button,
    });
    if (target.destination !== null && target.isFixed) fixed.set(cacheKey, target.destination);
    return target.destination;
  };

  const record = (request: FastifyRequest, ref: ClickRef): void => {
    const to = campaignRunAddress(ref.runId);
    const msg: RecipientClicked = {
      type: 'recipientClicked',
      recipient: ref.recipient,
      button: ref.button,
      atMs: now(),
    };
    try {
      // Enqueued now; a full mailbox makes the tell wait for room, still without holding up the answer.
      if (!system.tryTell(to, msg)) {
        system.tell(to, msg).catch((err: unknown) => request.log.warn({ err, runId: ref.runId }, 'click not counted'));
      }
    } catch (err) {
      request.log.warn({ err, runId: ref.runId }, 'click not counted');
    }
  };

  // Encapsulated (registered as a plugin): a failure here is a short page for a phone's browser, not the API's JSON.
  app.setErrorHandler((error, request, reply) => {
    request.log.error({ err: error }, 'click redirect failed');
    return reply
      .code(503)
      .type('text/plain; charset=utf-8')
      .header('retry-after', '1')
      .send('This link cannot be opened right now; please try again in a moment.\n');
  });

  app.get<{ Params: { token: string } }>(`${CLICK_REDIRECT_PATH}:token`, async (request, reply) => {
    try {
      await guard?.(request);
    } catch (err) {
      if (err instanceof ParloError && err.code === 'PARLO_RATE_LIMITED') return tooManyRequests(reply, err);
      throw err;
    }
    const ref = readClickToken(keys, request.params.token);
    const destination = ref === null ? null : await destinationOf(ref);
    if (ref === null || destination === null) return notFound(reply);
    if (request.method === 'GET') record(request, ref);
    return reply
      .code(302)
      .header('location', destination)
      .header('cache-control', 'private, no-store')
      .header('referrer-policy', 'no-referrer')
      .send();
  });
  return Promise.resolve();
}

function notFound(reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-robots-tag', 'noindex')
    .send(NOT_FOUND_PAGE);
}

function tooManyRequests(reply: FastifyReply, err: ParloError): FastifyReply {
  const seconds = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds ?? 1;
  return reply
    .code(429)
    .type('text/plain; charset=utf-8')
    .header('retry-after', String(seconds))
    .send(`Too many requests; try again in ${seconds} s.\n`);
}
