import type {
  ConversationSummary,
  ConversationView,
  ErrorBody,
  InboxControls,
  MessageQueued,
  Operator,
  Organisation,
  Page,
  PhoneNumber,
  QuickReply,
  QuickReplyDraft,
  QuickReplyPatch,
  RenderedQuickReply,
  SendBody,
  SessionTokens,
  SignedIn,
  TemplatePage,
  TemplatePreview,
  TemplateValues,
} from './wire.ts';

/**
 * The inbox's HTTP client of the Parlo API (`/v1`, same origin). Every refusal becomes an `ApiError` carrying the
 * API's stable `code` and its human message, which the screens show as they are: the server says why (the lock
 * holder's name, the closed window), the app does not guess. An expired access token is refreshed once and the
 * request retried (`onExpired`).
 */

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** A network failure (no answer at all) is shown with this code. */
export const NETWORK_ERROR = 'NETWORK_ERROR';

export interface ApiClientOptions {
  /** Default '' (same origin). */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
  /** The current access token, or null when signed out. */
  readonly accessToken: () => string | null;
  /** Called on 401 PARLO_SESSION_EXPIRED: refresh the session and resolve true to retry the request once. */
  readonly onExpired?: () => Promise<boolean>;
}

export type ConversationsQuery = {
  readonly assignee?: string;
  readonly window?: 'open' | 'closed';
  readonly hasUnread?: boolean;
  /** Search: message texts, customer names and phone digits. */
  readonly q?: string;
  readonly number?: string;
  readonly cursor?: string;
  readonly limit?: number;
};

export type ControlAction = 'claim' | 'release' | 'takeover' | 'assign' | 'status';

/** A random Idempotency-Key (crypto.randomUUID needs a secure context; getRandomValues does not). */
export function newIdempotencyKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class ApiClient {
  readonly #baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #accessToken: () => string | null;
  readonly #onExpired: (() => Promise<boolean>) | undefined;

  constructor(options: ApiClientOptions) {
    this.#baseUrl = options.baseUrl ?? '';
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#accessToken = options.accessToken;
    this.#onExpired = options.onExpired;
  }

  async request<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const response = await this.#send(method, path, body, headers);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  async #send(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    isRetry = false,
  ): Promise<Response> {
    const token = this.#accessToken();
    let response: Response;
    try {
      response = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new ApiError(0, NETWORK_ERROR, err instanceof Error ? err.message : String(err));
    }
    if (response.ok) return response;
    const error = await errorOf(response);
    if (!isRetry && error.code === 'PARLO_SESSION_EXPIRED' && this.#onExpired && (await this.#onExpired())) {
      return this.#send(method, path, body, headers, true);
    }
    throw error;
  }

  // ------------------------------------------------------------ identity

  signIn(email: string, password: string): Promise<SignedIn> {
    return this.request('POST', '/v1/sessions', { email, password });
  }

  refresh(refreshToken: string): Promise<{ tokens: SessionTokens }> {
    return this.request('POST', '/v1/sessions/refresh', { refreshToken });
  }

  signOut(): Promise<void> {
    return this.request('DELETE', '/v1/sessions/current');
  }

  getOrg(): Promise<Organisation> {
    return this.request('GET', '/v1/org');
  }

  async listNumbers(): Promise<readonly PhoneNumber[]> {
    return (await this.request<{ data: readonly PhoneNumber[] }>('GET', '/v1/numbers')).data;
  }

  /** Every active member as an inbox operator, with their presence. */
  async listOperators(): Promise<readonly Operator[]> {
    return (await this.request<{ data: readonly Operator[] }>('GET', '/v1/operators')).data;
  }

  realtimeEndpoint(): Promise<{ url: string }> {
    return this.request('GET', '/v1/realtime');
  }

  // ------------------------------------------------------------ conversations

  listConversations(query: ConversationsQuery): Promise<Page<ConversationSummary>> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const qs = params.toString();
    return this.request('GET', `/v1/conversations${qs === '' ? '' : `?${qs}`}`);
  }

  getConversation(id: string, options: { cursor?: string; limit?: number } = {}): Promise<ConversationView> {
    const params = new URLSearchParams();
    if (options.limit !== undefined) params.set('limit', String(options.limit));
    if (options.cursor !== undefined) params.set('cursor', options.cursor);
    const qs = params.toString();
    return this.request('GET', `/v1/conversations/${encodeURIComponent(id)}${qs === '' ? '' : `?${qs}`}`);
  }

  sendMessage(body: SendBody, idempotencyKey: string = newIdempotencyKey()): Promise<MessageQueued> {
    return this.request('POST', '/v1/messages', body, { 'idempotency-key': idempotencyKey });
  }

  control(conversationId: string, action: ControlAction, body?: unknown): Promise<InboxControls> {
    return this.request('POST', `/v1/conversations/${encodeURIComponent(conversationId)}/${action}`, body);
  }

  // ------------------------------------------------------------ quick replies

  /** The organisation's shared quick replies and the caller's personal ones, sorted by shortcut. */
  async listQuickReplies(q?: string): Promise<readonly QuickReply[]> {
    const qs = q === undefined || q === '' ? '' : `?q=${encodeURIComponent(q)}`;
    return (await this.request<{ items: readonly QuickReply[] }>('GET', `/v1/quick-replies${qs}`)).items;
  }

  createQuickReply(draft: QuickReplyDraft): Promise<QuickReply> {
    return this.request('POST', '/v1/quick-replies', draft);
  }

  updateQuickReply(id: string, patch: QuickReplyPatch): Promise<QuickReply> {
    return this.request('PATCH', `/v1/quick-replies/${encodeURIComponent(id)}`, patch);
  }

  deleteQuickReply(id: string): Promise<void> {
    return this.request('DELETE', `/v1/quick-replies/${encodeURIComponent(id)}`);
  }

  /** A quick reply's text with the conversation's contact and the caller filled in (the server owns the rules). */
  renderQuickReply(conversationId: string, id: string): Promise<RenderedQuickReply> {
    return this.request(
      'POST',
      `/v1/conversations/${encodeURIComponent(conversationId)}/quick-replies/${encodeURIComponent(id)}/render`,
    );
  }

  // ------------------------------------------------------------ templates and media

  listTemplates(wabaId?: string): Promise<TemplatePage> {
    const params = new URLSearchParams({ status: 'APPROVED', limit: '200' });
    if (wabaId !== undefined) params.set('wabaId', wabaId);
    return this.request('GET', `/v1/templates?${params.toString()}`);
  }

  previewTemplate(templateId: string, values: TemplateValues, wabaId?: string): Promise<TemplatePreview> {
    const qs = wabaId === undefined ? '' : `?wabaId=${encodeURIComponent(wabaId)}`;
    return this.request('POST', `/v1/templates/${encodeURIComponent(templateId)}/preview${qs}`, { values });
  }

  /** The bytes of a media ref (`GET /v1/media/{ref}` needs the bearer token, so an <img src> cannot load it). */
  async media(ref: string): Promise<Blob> {
    const response = await this.#send('GET', `/v1/media/${encodeURIComponent(ref)}`, undefined, { accept: '*/*' });
    return response.blob();
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as Partial<ErrorBody>;
    if (body.error && typeof body.error.code === 'string') {
      return new ApiError(response.status, body.error.code, body.error.message, body.error.details);
    }
  } catch {
    // Not the API's error body (a proxy's page, say): fall through to the status line.
  }
  return new ApiError(response.status, `HTTP_${response.status}`, response.statusText || `HTTP ${response.status}`);
}
