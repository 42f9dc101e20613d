import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import { API_KEY_SCOPE_NAMES, type ApiKeyScope } from '../../../actors/org/permissions.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { API_KEY_ID_PATTERN, orgOfApiKeyId } from '../auth/authenticate.ts';
import { okOrThrow, userCallerOf } from '../auth/caller.ts';
import { formatApiKey, hashToken, newSecret } from '../auth/credentials.ts';
import { ApiKeySummary, apiKeySummary, by, iso, routesActors } from './identity.routes.ts';
import type { ApiKeyCache } from '../auth/api-key-cache.ts';

/**
 * API keys of the caller's organisation. Keys are made and revoked by signed-in people only (no key scope grants
 * `api-keys:manage`), and a key never holds more than its creator's role (the org actor checks). The key text
 * `parlo_<orgId>.<12 hex>_<secret>` is shown once, at creation; only the secret's SHA-256 is stored.
 */
export interface ApiKeysRoutesDeps {
  readonly system: ActorSystem;
  /** The node's cache of verified keys: a revoked key is dropped from it at once. */
  readonly apiKeys?: ApiKeyCache;
}

const ScopeSchema = z.enum(API_KEY_SCOPE_NAMES as readonly [ApiKeyScope, ...ApiKeyScope[]]);
const KeyId = z.string().regex(API_KEY_ID_PATTERN, 'must be an API key id (<orgId>.<12 hex characters>)');

const ApiKeyCreated = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.string()),
    key: z.string().describe('The API key itself, shown only in this response: send it as X-Api-Key.'),
    createdAt: z.string(),
  })
  .meta({ id: 'ApiKeyCreated' });

/** No registered "API key not found" code: an unknown key of the path answers 404 as an unknown resource. */
function keyNotFound(keyId: string): ParloError {
  return new ParloError('PARLO_API_KEY_NOT_FOUND', `no API key ${keyId} in this organisation`);
}

export function apiKeyRoutes(deps: ApiKeysRoutesDeps): ApiRoute[] {
  const actors = routesActors(deps.system);

  const createApiKey = defineRoute({
    method: 'POST',
    url: '/api-keys',
    operationId: 'createApiKey',
    summary: 'Create an API key (the key is returned once)',
    tags: ['api-keys'],
    auth: 'session',
    scopes: ['api-keys:manage'],
    body: z.object({
      name: z.string().trim().min(1).max(100),
      scopes: z.array(ScopeSchema).min(1).max(API_KEY_SCOPE_NAMES.length),
    }),
    responses: { 201: ApiKeyCreated },
    async handler({ body, request }) {
      const caller = userCallerOf(request);
      const keyId = `${caller.orgId}.${randomBytes(6).toString('hex')}`;
      const secret = newSecret();
      const created = okOrThrow(
        await actors.org<'createApiKey'>(caller.orgId, {
          type: 'createApiKey',
          keyId,
          name: body.name,
          scopes: body.scopes,
          secretHash: hashToken(secret),
          by: by(caller),
        }),
      );
      return {
        status: 201,
        body: {
          id: keyId,
          name: body.name,
          scopes: [...created.scopes],
          key: formatApiKey(keyId, secret),
          createdAt: iso(created.createdAtMs),
        },
      };
    },
  });

  const listApiKeys = defineRoute({
    method: 'GET',
    url: '/api-keys',
    operationId: 'listApiKeys',
    summary: 'The API keys of the organisation, revoked ones included (never their secrets)',
    tags: ['api-keys'],
    auth: 'session',
    scopes: ['api-keys:manage'],
    responses: { 200: z.object({ data: z.array(ApiKeySummary) }) },
    async handler({ request }) {
      const caller = userCallerOf(request);
      const view = okOrThrow(await actors.org<'getOrg'>(caller.orgId, { type: 'getOrg', by: by(caller) }));
      if (view.apiKeys === null)
        throw new ParloError('PARLO_ACCESS_FORBIDDEN', `role ${caller.role} may not list keys`);
      const data = [...view.apiKeys].sort((a, b) => b.createdAtMs - a.createdAtMs).map(apiKeySummary);
      return { status: 200, body: { data } };
    },
  });

  const revokeApiKey = defineRoute({
    method: 'DELETE',
    url: '/api-keys/:keyId',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key (idempotent); it stops working at once (on other nodes of a cluster within 10 s)',
    tags: ['api-keys'],
    auth: 'session',
    scopes: ['api-keys:manage'],
    params: z.object({ keyId: KeyId }),
    responses: { 204: null },
    async handler({ params, request }) {
      const caller = userCallerOf(request);
      // Another organisation's key is not found here, like any id that is not ours: no existence leak.
      if (orgOfApiKeyId(params.keyId) !== caller.orgId) throw keyNotFound(params.keyId);
      const revoked = await actors.org<'revokeApiKey'>(caller.orgId, {
        type: 'revokeApiKey',
        keyId: params.keyId,
        by: by(caller),
      });
      if (!revoked.ok && revoked.code === 'PARLO_API_KEY_INVALID') throw keyNotFound(params.keyId);
      okOrThrow(revoked);
      deps.apiKeys?.invalidate(params.keyId);
      return { status: 204 };
    },
  });

  return [createApiKey, listApiKeys, revokeApiKey];
}
