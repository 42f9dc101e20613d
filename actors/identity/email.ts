/**
 * The one spelling of an email address used as an identity key: trimmed and lowercased. The login actor's id is
 * this string, and the org actor compares members and invites by it. (Lowercasing the local part is not what
 * RFC 5321 promises, but it is what every mail provider in practice does and what users expect at sign-in.)
 */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
