/**
 * The key of a customer within an organisation: `p<E.164 digits>` when the phone number is known, else
 * `u<business-scoped user id>` (a username user who withholds the number). A customer seen with a phone number is
 * always keyed by it, so conversations and contacts of the same person meet under one key.
 */
export const CUSTOMER_KEY_PATTERN = /^(p[1-9][0-9]{7,14}|u[A-Za-z0-9._:-]{1,128})$/;

export function customerKeyOf(customer: { readonly phone?: string | null; readonly userId?: string | null }): string {
  const phone = customer.phone?.replace(/^\+/, '');
  if (phone) return `p${phone}`;
  if (customer.userId) return `u${customer.userId}`;
  throw new TypeError('a customer needs a phone number or a business-scoped user id');
}

export function isCustomerKey(value: string): boolean {
  return CUSTOMER_KEY_PATTERN.test(value);
}
