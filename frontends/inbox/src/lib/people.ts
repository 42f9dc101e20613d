import type { Member, Role } from './wire.ts';

/**
 * How the inbox names people: members have an email only, so "ana.rossi@acme.test" reads as "Ana Rossi". An id
 * that is not a member (removed, or not loaded yet) shows as itself.
 */
export function displayNameOf(email: string): string {
  const local = email.split('@', 1)[0] ?? email;
  const words = local.split(/[._-]+/).filter((w) => w !== '');
  if (words.length === 0) return email;
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

export function memberName(members: readonly Member[], userId: string): string {
  const member = members.find((m) => m.userId === userId);
  return member ? displayNameOf(member.email) : userId;
}

/**
 * Whether a role may take a conversation over (the API's `conversations:takeover`: managers and up). Only used to
 * offer the button; the API decides.
 */
export function canTakeOver(role: Role): boolean {
  return role === 'manager' || role === 'admin' || role === 'owner';
}

/**
 * Whether a role may manage the organisation's shared inbox settings (the API's `inbox:manage`: managers and up),
 * e.g. create shared quick replies. Only used to offer the choice; the API decides.
 */
export function canManageInbox(role: Role): boolean {
  return role === 'manager' || role === 'admin' || role === 'owner';
}

/** Whether a role may reply and use the inbox controls (`conversations:reply` / `assign`: operators and up). */
export function canReply(role: Role): boolean {
  return role !== 'viewer';
}
