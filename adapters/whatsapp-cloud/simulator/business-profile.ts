import { graphError, type GraphError } from './send/graph-error.ts';

/**
 * Business profiles of the simulator's numbers (`GET` / `POST /{version}/{phone-number-id}/whatsapp_business_profile`),
 * with the limits of Meta's v23.0 OpenAPI schema `WhatsAppBusinessProfileUpdateRequest`.
 */

export const BUSINESS_VERTICALS = [
  'OTHER',
  'AUTO',
  'BEAUTY',
  'APPAREL',
  'EDU',
  'ENTERTAIN',
  'EVENT_PLAN',
  'FINANCE',
  'GROCERY',
  'GOVT',
  'HOTEL',
  'HEALTH',
  'NONPROFIT',
  'PROF_SERVICES',
  'RETAIL',
  'TRAVEL',
  'RESTAURANT',
  'ALCOHOL',
  'ONLINE_GAMBLING',
  'PHYSICAL_GAMBLING',
  'OTC_DRUGS',
] as const;

export interface SimBusinessProfile {
  about?: string;
  address?: string;
  description?: string;
  email?: string;
  websites?: string[];
  vertical?: string;
}

const TEXT_LIMITS = { about: 139, address: 256, description: 256, email: 128 } as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The profile update in `body`, or Meta's error 100 naming the parameter. */
export function validateProfileUpdate(
  body: unknown,
): { ok: true; update: SimBusinessProfile } | { ok: false; error: GraphError } {
  const fail = (details: string) => ({ ok: false as const, error: graphError(100, details) });
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return fail('The request body must be a JSON object');
  const input = body as Record<string, unknown>;
  if (input.messaging_product !== 'whatsapp')
    return fail('The parameter messaging_product is required and must be whatsapp');
  const update: SimBusinessProfile = {};
  for (const field of ['about', 'address', 'description', 'email'] as const) {
    const value = input[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') return fail(`Param ${field} must be a string`);
    if (value.length > TEXT_LIMITS[field])
      return fail(`Param ${field} must be at most ${TEXT_LIMITS[field]} characters long`);
    if (field === 'about' && value.length < 1) return fail('Param about must be at least 1 character long');
    if (field === 'email' && !EMAIL.test(value)) return fail('Param email must be a valid email address');
    update[field] = value;
  }
  if (input.websites !== undefined) {
    const websites = input.websites;
    if (!Array.isArray(websites) || websites.length > 2)
      return fail('Param websites must be an array of at most 2 URLs');
    for (const site of websites) {
      if (typeof site !== 'string' || site.length > 256 || !/^https?:\/\/\S+$/.test(site)) {
        return fail('Param websites[] must be http(s) URLs of at most 256 characters');
      }
    }
    update.websites = [...(websites as string[])];
  }
  if (input.vertical !== undefined) {
    if (!(BUSINESS_VERTICALS as readonly unknown[]).includes(input.vertical)) {
      return fail(`Param vertical must be one of {${BUSINESS_VERTICALS.join(', ')}}`);
    }
    update.vertical = input.vertical as string;
  }
  return { ok: true, update };
}

/** Meta's GET answer: `{ data: [{ business_profile: { messaging_product, … } }] }`. */
export function profileResponse(profile: SimBusinessProfile): unknown {
  return { data: [{ business_profile: { messaging_product: 'whatsapp', ...profile } }] };
}
