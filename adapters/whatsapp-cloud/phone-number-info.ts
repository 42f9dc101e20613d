/**
 * Reads a business phone number from the Graph API (`GET /{version}/{phone-number-id}`), used to check
 * credentials when a number is connected: the token must be accepted and must see the number. Not a hot path:
 * one call per connection, with undici's `request` and a deadline.
 */
import { request } from 'undici';
import { z } from 'zod';

export interface PhoneNumberInfo {
  readonly displayPhoneNumber: string;
  readonly verifiedName: string | null;
  readonly qualityRating: string | null;
  /** Meta's throughput level: STANDARD (80 msg/s), HIGH (1,000), or NOT_APPLICABLE / LOW. */
  readonly throughputLevel: string | null;
}

export type PhoneNumberLookup =
  | { readonly ok: true; readonly info: PhoneNumberInfo }
  | {
      readonly ok: false;
      /** `credentialsRejected`: token invalid, expired or without permission. `unknownNumber`: no such number for
       *  this token. `unreachable`: network failure, timeout, 5xx or an unexpected answer. */
      readonly reason: 'credentialsRejected' | 'unknownNumber' | 'unreachable';
      readonly detail: string;
    };

export interface PhoneNumberLookupOptions {
  readonly baseUrl: string;
  readonly apiVersion: string;
  readonly accessToken: string;
  readonly phoneNumberId: string;
  readonly timeoutMs?: number;
}

const FIELDS = 'display_phone_number,verified_name,quality_rating,throughput';

const NumberBody = z.object({
  display_phone_number: z.string().min(1),
  verified_name: z.string().optional(),
  quality_rating: z.string().optional(),
  throughput: z.object({ level: z.string() }).optional(),
});

const GraphErrorBody = z.object({
  error: z.object({
    message: z.string().optional(),
    code: z.number().optional(),
    error_subcode: z.number().optional(),
  }),
});

/** Graph codes that mean "this token may not do this" (WHATSAPP.md: 190 invalid token, 10/200 permissions). */
const CREDENTIAL_CODES = new Set([190, 10, 200, 102, 104]);

export async function fetchPhoneNumberInfo(options: PhoneNumberLookupOptions): Promise<PhoneNumberLookup> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const url = `${options.baseUrl}/${options.apiVersion}/${encodeURIComponent(options.phoneNumberId)}?fields=${FIELDS}`;
  let status: number;
  let text: string;
  try {
    const response = await request(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${options.accessToken}`, accept: 'application/json' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    return { ok: false, reason: 'unreachable', detail: `Graph API call failed: ${(error as Error).message}` };
  }
  const json = parseJson(text);
  if (status >= 200 && status < 300) {
    const parsed = NumberBody.safeParse(json);
    if (!parsed.success) {
      return { ok: false, reason: 'unreachable', detail: `unexpected answer: ${text.slice(0, 200)}` };
    }
    return {
      ok: true,
      info: {
        displayPhoneNumber: parsed.data.display_phone_number,
        verifiedName: parsed.data.verified_name ?? null,
        qualityRating: parsed.data.quality_rating ?? null,
        throughputLevel: parsed.data.throughput?.level ?? null,
      },
    };
  }
  const graphError = GraphErrorBody.safeParse(json);
  const code = graphError.success ? graphError.data.error.code : undefined;
  const message = graphError.success ? (graphError.data.error.message ?? '') : text.slice(0, 200);
  const detail = `HTTP ${status}${code === undefined ? '' : `, Graph code ${code}`}: ${message}`;
  if (status === 401 || (code !== undefined && CREDENTIAL_CODES.has(code))) {
    return { ok: false, reason: 'credentialsRejected', detail };
  }
  // 100 (with subcode 33: "object does not exist or no permission") and 404: the token does not see the number.
  if (status === 404 || code === 100) return { ok: false, reason: 'unknownNumber', detail };
  return { ok: false, reason: 'unreachable', detail };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
