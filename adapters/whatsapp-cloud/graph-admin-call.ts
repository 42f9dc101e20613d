/**
 * One administration call to Meta's Graph API (a number's facts, its business profile, message templates): not a
 * hot path, so undici's `request` with a deadline, one call each. The answer comes back parsed, or as the failure
 * Meta or the network gave, for the caller to classify.
 */
import { request } from 'undici';
import { z } from 'zod';

export interface GraphAdminTarget {
  readonly baseUrl: string;
  readonly apiVersion: string;
  readonly accessToken: string;
  readonly timeoutMs?: number;
}

export type GraphAdminAnswer =
  | { readonly ok: true; readonly json: unknown; readonly text: string }
  | {
      readonly ok: false;
      /** HTTP status; 0 when no answer came (network failure, timeout). */
      readonly status: number;
      readonly code: number | undefined;
      readonly subcode: number | undefined;
      /** `HTTP 400, Graph code 100: message (details)`, or the network error. */
      readonly detail: string;
    };

const GraphErrorBody = z.object({
  error: z.object({
    message: z.string().optional(),
    code: z.number().optional(),
    error_subcode: z.number().optional(),
    error_user_msg: z.string().optional(),
    error_data: z.object({ details: z.string().optional() }).optional(),
  }),
});

/** Graph codes that mean "this token may not do this" (190 invalid token, 10/200 permissions, 102/104 session). */
export const CREDENTIAL_CODES: ReadonlySet<number> = new Set([190, 10, 200, 102, 104]);

/** `method /{version}/{objectId}{suffix}` with an optional JSON body. */
export async function graphAdminCall(
  target: GraphAdminTarget,
  method: 'GET' | 'POST' | 'DELETE',
  objectId: string,
  suffix: string,
  body?: object,
): Promise<GraphAdminAnswer> {
  const timeoutMs = target.timeoutMs ?? 10_000;
  const url = `${target.baseUrl}/${target.apiVersion}/${encodeURIComponent(objectId)}${suffix}`;
  let status: number;
  let text: string;
  try {
    const response = await request(url, {
      method,
      headers: {
        authorization: `Bearer ${target.accessToken}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    const detail = `Graph API call failed: ${(error as Error).message}`;
    return { ok: false, status: 0, code: undefined, subcode: undefined, detail };
  }
  const json = parseJson(text);
  if (status >= 200 && status < 300) return { ok: true, json, text };
  const graphError = GraphErrorBody.safeParse(json);
  const error = graphError.success ? graphError.data.error : undefined;
  const details = error?.error_data?.details ?? error?.error_user_msg;
  const message = error ? `${error.message ?? ''}${details ? ` (${details})` : ''}` : text.slice(0, 200);
  const detail = `HTTP ${status}${error?.code === undefined ? '' : `, Graph code ${error.code}`}: ${message}`;
  return { ok: false, status, code: error?.code, subcode: error?.error_subcode, detail };
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
