/**
 * A stand-in for the Parlo API in component tests: a `fetch` that answers from a table of routes
 * (`'GET /v1/conversations'`) and records every call. Unknown routes answer the API's 404.
 */

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

export interface FakeAnswer {
  readonly status?: number;
  readonly body?: unknown;
}

export type FakeRoute = (request: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

export interface FakeApi {
  readonly fetch: typeof fetch;
  readonly calls: FakeRequest[];
  /** Adds or replaces a route. */
  on(route: string, answer: FakeRoute | FakeAnswer): void;
  /** The calls to one route (`'POST /v1/messages'`). */
  callsTo(route: string): FakeRequest[];
}

export function apiError(status: number, code: string, message: string, details?: unknown): FakeAnswer {
  return { status, body: { error: { code, message, ...(details === undefined ? {} : { details }) } } };
}

export function fakeApi(routes: Record<string, FakeRoute | FakeAnswer> = {}): FakeApi {
  const table = new Map<string, FakeRoute>();
  const calls: FakeRequest[] = [];
  const on = (route: string, answer: FakeRoute | FakeAnswer) =>
    table.set(route, typeof answer === 'function' ? answer : () => answer);
  for (const [route, answer] of Object.entries(routes)) on(route, answer);

  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(href, 'http://localhost');
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>));
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const request: FakeRequest = { method, path: url.pathname, query: url.searchParams, body, headers };
    calls.push(request);
    const route = table.get(`${method} ${url.pathname}`) ?? matchPattern(table, method, url.pathname);
    const answer = route
      ? await route(request)
      : apiError(404, 'PARLO_ROUTE_NOT_FOUND', `no route matches ${method} ${url.pathname}`);
    const status = answer.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(answer.body ?? {}), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  };

  return {
    fetch: fetchImpl,
    calls,
    on,
    callsTo: (route) => calls.filter((c) => `${c.method} ${c.path}` === route || matches(route, c)),
  };
}

/** Routes may use `*` for one path segment: `'GET /v1/conversations/*'`. */
function matchPattern(table: Map<string, FakeRoute>, method: string, path: string): FakeRoute | undefined {
  for (const [route, answer] of table) {
    if (matches(route, { method, path })) return answer;
  }
  return undefined;
}

function matches(route: string, request: { method: string; path: string }): boolean {
  const [method, pattern] = route.split(' ', 2);
  if (method !== request.method || pattern === undefined || !pattern.includes('*')) return false;
  const want = pattern.split('/');
  const got = request.path.split('/');
  return want.length === got.length && want.every((w, i) => w === '*' || w === got[i]);
}
