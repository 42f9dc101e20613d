import { refusal, type Refusal } from '../../core/index.ts';
import { can, scopeAllows, type ApiKeyScope, type Role } from '../org/permissions.ts';

/**
 * Who is asking, as the HTTP layer authenticated them: a signed-in user (role snapshot of the session) or an API
 * key (its scopes). The webhook actors re-check `webhooks:manage` themselves (defence in depth: a route that forgot
 * its scope check still cannot reach them). They hold no membership: that the user is an active member, and that
 * the key is not revoked, was checked against the session and org actors by the authenticate hook.
 */
export type WebhookCaller =
  | { readonly kind: 'user'; readonly userId: string; readonly role: Role }
  | { readonly kind: 'apiKey'; readonly keyId: string; readonly scopes: readonly ApiKeyScope[] };

/** Null when the caller holds `webhooks:manage`, else the refusal to answer with. */
export function webhookAccessRefusal(by: WebhookCaller): Refusal | null {
  if (by.kind === 'user') {
    return can(by.role, 'webhooks:manage')
      ? null
      : refusal('PARLO_ACCESS_FORBIDDEN', `role ${by.role} does not hold webhooks:manage`);
  }
  return scopeAllows(by.scopes, 'webhooks:manage')
    ? null
    : refusal('PARLO_ACCESS_FORBIDDEN', 'this API key does not hold webhooks:manage');
}
