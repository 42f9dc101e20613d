import { describe, expect, it } from 'vitest';
import { profileResponse, validateProfileUpdate } from './business-profile.ts';

describe('simulator business profile (Meta v23.0 WhatsAppBusinessProfileUpdateRequest)', () => {
  it('accepts the documented fields and answers GET in Meta’s shape', () => {
    const update = {
      about: 'Fresh pasta daily',
      address: 'Via Roma 1',
      description: 'Family restaurant',
      email: 'ciao@pasta.test',
      websites: ['https://pasta.test', 'https://www.facebook.com/pasta'],
      vertical: 'RESTAURANT',
    };
    expect(validateProfileUpdate({ messaging_product: 'whatsapp', ...update })).toEqual({ ok: true, update });
    expect(profileResponse(update)).toEqual({
      data: [{ business_profile: { messaging_product: 'whatsapp', ...update } }],
    });
  });

  it.each([
    [{}, 'messaging_product'],
    [{ messaging_product: 'whatsapp', about: '' }, 'about'],
    [{ messaging_product: 'whatsapp', about: 'x'.repeat(140) }, 'about must be at most 139'],
    [{ messaging_product: 'whatsapp', description: 'x'.repeat(257) }, 'description must be at most 256'],
    [{ messaging_product: 'whatsapp', email: 'not-an-email' }, 'email'],
    [{ messaging_product: 'whatsapp', websites: ['https://a.test', 'https://b.test', 'https://c.test'] }, 'websites'],
    [{ messaging_product: 'whatsapp', websites: ['ftp://a.test'] }, 'websites[]'],
    [{ messaging_product: 'whatsapp', vertical: 'PIRACY' }, 'vertical'],
  ])('refuses %j with error 100 naming %s', (body, named) => {
    const result = validateProfileUpdate(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(100);
    expect(result.error.details).toContain(named);
  });
});
