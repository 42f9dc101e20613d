import { request } from 'undici';

export interface JsonAnswer<T> {
  readonly status: number;
  /** The parsed body; undefined when it is empty or not JSON. */
  readonly json: T;
  readonly text: string;
}

/**
 * A JSON client of Parlo's REST API for integration tests: `api('POST', '/v1/x', { token, body })` over real HTTP
 * to `baseUrl()` (read per call: the server may start after the client is made), bearer token optional.
 */
export function jsonApi(baseUrl: () => string) {
  return async function api<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: { readonly token?: string; readonly body?: unknown } = {},
  ): Promise<JsonAnswer<T>> {
    const response = await request(`${baseUrl()}${path}`, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.body.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.statusCode, json: json as T, text };
  };
}
