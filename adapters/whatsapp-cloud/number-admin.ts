/**
 * Administration calls for a business phone number on the Graph API, made when a number is connected or edited
 * (not a hot path: undici's `request` with a deadline, one call each):
 * - `GET /{version}/{phone-number-id}`: checks the credentials (the token must be accepted and see the number)
 *   and reads the number's display number, verified name, quality and throughput;
 * - `POST /{version}/{phone-number-id}/whatsapp_business_profile`: sets the business profile customers see.
 */
import { z } from 'zod';
import { CREDENTIAL_CODES, graphAdminCall } from './graph-admin-call.ts';

export interface PhoneNumberInfo {
  readonly displayPhoneNumber: string;
  readonly verifiedName: string | null;
  readonly qualityRating: string | null;
  /** Meta's throughput level: STANDARD (80 msg/s), HIGH (1,000), or NOT_APPLICABLE / LOW. */
  readonly throughputLevel: string | null;
}

/**
 * Why a call failed. `credentialsRejected`: token invalid, expired or without permission. `unknownNumber`: no such
 * number for this token. `invalidParameter`: Meta refused a value (the detail names it). `unreachable`: network
 * failure, timeout, 5xx or an unexpected answer.
 */
export interface GraphCallFailure {
  readonly ok: false;
  readonly reason: 'credentialsRejected' | 'unknownNumber' | 'invalidParameter' | 'unreachable';
  readonly detail: string;
}

export type PhoneNumberLookup = { readonly ok: true; readonly info: PhoneNumberInfo } | GraphCallFailure;
export type ProfileUpdate = { readonly ok: true } | GraphCallFailure;

export interface NumberAdminOptions {
  readonly baseUrl: string;
  readonly apiVersion: string;
  readonly accessToken: string;
  readonly phoneNumberId: string;
  readonly timeoutMs?: number;
}

/** The profile fields Meta accepts (WhatsAppBusinessProfileUpdateRequest). */
export interface BusinessProfileFields {
  readonly about?: string;
  readonly address?: string;
  readonly description?: string;
  readonly email?: string;
  readonly websites?: readonly string[];
  readonly vertical?: string;
}

const FIELDS = 'display_phone_number,verified_name,quality_rating,throughput';

const NumberBody = z.object({
  display_phone_number: z.string().min(1),
  verified_name: z.string().optional(),
  quality_rating: z.string().optional(),
  throughput: z.object({ level: z.string() }).optional(),
});

export async function fetchPhoneNumberInfo(options: NumberAdminOptions): Promise<PhoneNumberLookup> {
  const answer = await call(options, 'GET', `?fields=${FIELDS}`);
  if (!answer.ok) return answer;
  const parsed = NumberBody.safeParse(answer.json);
  if (!parsed.success) {
    return { ok: false, reason: 'unreachable', detail: `unexpected answer: ${answer.text.slice(0, 200)}` };
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

export async function updateBusinessProfile(
  options: NumberAdminOptions & { readonly profile: BusinessProfileFields },
): Promise<ProfileUpdate> {
  const answer = await call(options, 'POST', '/whatsapp_business_profile', {
    messaging_product: 'whatsapp',
    ...options.profile,
  });
  if (!answer.ok) return answer;
  const success = z.object({ success: z.literal(true) }).safeParse(answer.json);
  return success.success
    ? { ok: true }
    : { ok: false, reason: 'unreachable', detail: `unexpected answer: ${answer.text.slice(0, 200)}` };
}

async function call(
  options: NumberAdminOptions,
  method: 'GET' | 'POST',
  suffix: string,
  body?: object,
): Promise<{ ok: true; json: unknown; text: string } | GraphCallFailure> {
  const answer = await graphAdminCall(options, method, options.phoneNumberId, suffix, body);
  if (answer.ok) return answer;
  const { status, code, subcode, detail } = answer;
  if (status === 0) return { ok: false, reason: 'unreachable', detail };
  if (status === 401 || (code !== undefined && CREDENTIAL_CODES.has(code))) {
    return { ok: false, reason: 'credentialsRejected', detail };
  }
  // 100 with subcode 33 ("object does not exist or no permission") and 404: the token does not see the number;
  // any other 100 is a parameter Meta refused.
  if (status === 404 || (code === 100 && subcode === 33)) return { ok: false, reason: 'unknownNumber', detail };
  if (code === 100) return { ok: false, reason: 'invalidParameter', detail };
  return { ok: false, reason: 'unreachable', detail };
}
