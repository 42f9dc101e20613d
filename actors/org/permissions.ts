/**
 * Who may do what in an organisation: the written permission table (ARCHITECTURE.md invariant 4, "a role never
 * exceeds its permissions"). Everything here is data plus three small functions, so the HTTP layer, the
 * realtime gateway, the actors (defence in depth) and the docs all read the same table.
 *
 * The roles form a chain: owner ⊇ admin ⊇ manager ⊇ operator ⊇ viewer. Each step adds a reasoned set:
 * - viewer   reads: the organisation, its people, numbers, conversations, contacts, templates and campaigns.
 * - operator works the inbox: replies inside open conversations and assigns them. Operators do not start
 *            business-initiated conversations (`messages:send`): those are billed per message and count towards the
 *            number's messaging tier, so they belong with the people who run campaigns.
 * - manager  runs the messaging programme: contacts, templates, campaigns and business-initiated sends.
 * - admin    runs the workspace: people and their roles, API keys, numbers, webhooks, the audit log, data export
 *            and erasure, and can see (not change) billing.
 * - owner    is accountable for the account: only an owner changes billing and hands ownership on (assigns the
 *            owner role). An organisation always keeps at least one owner.
 */

export const ROLES = ['owner', 'admin', 'manager', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Higher is more powerful; the chain order of ROLES. */
export const ROLE_RANK: Readonly<Record<Role, number>> = { owner: 4, admin: 3, manager: 2, operator: 1, viewer: 0 };

export const PERMISSIONS = {
  'org:read': 'See the organisation: its name, creation time and settings.',
  'org:manage': 'Rename the organisation and change its settings.',
  'org:transfer': 'Hand ownership on: assign the owner role to another member.',
  'users:read': 'See the members of the organisation and their roles.',
  'users:invite': 'Invite people by email and cancel pending invites.',
  'users:manage-roles': 'Change the role of a member (never above one the caller may assign).',
  'users:remove': 'Remove a member from the organisation (every member may leave on their own).',
  'api-keys:manage': 'Create, list and revoke API keys (a key never gets more than its creator holds).',
  'numbers:read': 'See the connected WhatsApp numbers, their quality rating and messaging tier.',
  'numbers:manage': 'Connect, disconnect and configure WhatsApp numbers.',
  'messages:send': 'Send business-initiated messages (templates to any contact); billed per message.',
  'messages:read': 'Read conversations and message history.',
  'conversations:reply': 'Reply inside an open customer-service window of a conversation.',
  'conversations:assign': 'Assign, take and release conversations.',
  'conversations:takeover': 'Take over a conversation whose lock another operator holds.',
  'inbox:manage': 'Set operators’ teams, skills, capacity and shifts, and the automatic assignment rules.',
  'contacts:read': 'See contacts, their attributes and consent.',
  'contacts:write': 'Create, edit, import and tag contacts; record consent.',
  'templates:read': 'See message templates and their review status.',
  'templates:manage': 'Create, edit, submit and delete message templates.',
  'campaigns:read': 'See campaigns, their schedules and results.',
  'campaigns:manage': 'Create, schedule, pause, resume and cancel campaigns.',
  'webhooks:manage': 'Configure outgoing webhooks and rotate their signing secrets.',
  'audit:read': 'Read the audit log of the organisation.',
  'data:export': 'Export organisation data (contacts, conversations).',
  'data:erase': 'Erase personal data on request (e.g. a GDPR erasure request).',
  'billing:read': 'See plan, usage, invoices and the wallet balance.',
  'billing:manage': 'Change the plan, payment method and wallet top-ups.',
} as const satisfies Record<string, string>;

export type Permission = keyof typeof PERMISSIONS;

/** Every permission name, in table order. */
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as readonly Permission[];

const VIEWER: readonly Permission[] = [
  'org:read',
  'users:read',
  'numbers:read',
  'messages:read',
  'contacts:read',
  'templates:read',
  'campaigns:read',
];
const OPERATOR: readonly Permission[] = [...VIEWER, 'conversations:reply', 'conversations:assign'];
const MANAGER: readonly Permission[] = [
  ...OPERATOR,
  'conversations:takeover',
  'inbox:manage',
  'messages:send',
  'contacts:write',
  'templates:manage',
  'campaigns:manage',
];
const ADMIN: readonly Permission[] = [
  ...MANAGER,
  'org:manage',
  'users:invite',
  'users:manage-roles',
  'users:remove',
  'api-keys:manage',
  'numbers:manage',
  'webhooks:manage',
  'audit:read',
  'data:export',
  'data:erase',
  'billing:read',
];
const OWNER: readonly Permission[] = [...ADMIN, 'billing:manage', 'org:transfer'];

/** The written table: what each role holds. Each role holds everything the role below it holds. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  owner: OWNER,
  admin: ADMIN,
  manager: MANAGER,
  operator: OPERATOR,
  viewer: VIEWER,
};

const ROLE_PERMISSION_SETS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  owner: new Set(OWNER),
  admin: new Set(ADMIN),
  manager: new Set(MANAGER),
  operator: new Set(OPERATOR),
  viewer: new Set(VIEWER),
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && Object.hasOwn(PERMISSIONS, value);
}

/** Whether `role` holds `permission`. */
export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSION_SETS[role].has(permission);
}

/** The less powerful of two roles (a stale session role never outranks the stored one, and vice versa). */
export function lowerRole(a: Role, b: Role): Role {
  return ROLE_RANK[a] <= ROLE_RANK[b] ? a : b;
}

/**
 * The roles a member with `actorRole` may give to others (by invite or role change): none without a people
 * permission; never a role above their own; the owner role only with `org:transfer`. So an admin may make admins
 * but no owners, and an owner may make anyone.
 */
export function assignableRoles(actorRole: Role): readonly Role[] {
  if (!can(actorRole, 'users:invite') && !can(actorRole, 'users:manage-roles')) return [];
  return ROLES.filter(
    (role) => ROLE_RANK[role] <= ROLE_RANK[actorRole] && (role !== 'owner' || can(actorRole, 'org:transfer')),
  );
}

export function canAssignRole(actorRole: Role, role: Role): boolean {
  return assignableRoles(actorRole).includes(role);
}

/**
 * API key scopes: what an integration asks for when a key is created, each mapped to the permissions it grants.
 * Wildcards (`campaigns:*`) and `read` are spelled out here, never pattern-matched, so the table is the whole truth.
 *
 * No scope grants people, keys, billing, audit, data export/erasure or ownership: a leaked key must not be able
 * to mint more keys, lock members out, read personal data in bulk or move money.
 */
export const API_KEY_SCOPES = {
  read: ['org:read', 'numbers:read', 'messages:read', 'contacts:read', 'templates:read', 'campaigns:read'],
  'messages:send': ['messages:send', 'conversations:reply'],
  'messages:read': ['messages:read'],
  'conversations:*': ['messages:read', 'conversations:reply', 'conversations:assign'],
  'contacts:read': ['contacts:read'],
  'contacts:write': ['contacts:read', 'contacts:write'],
  'contacts:*': ['contacts:read', 'contacts:write'],
  'campaigns:read': ['campaigns:read'],
  'campaigns:write': ['campaigns:read', 'campaigns:manage'],
  'campaigns:*': ['campaigns:read', 'campaigns:manage'],
  'templates:read': ['templates:read'],
  'templates:*': ['templates:read', 'templates:manage'],
  'numbers:read': ['numbers:read'],
  'numbers:*': ['numbers:read', 'numbers:manage'],
  'webhooks:*': ['webhooks:manage'],
} as const satisfies Record<string, readonly Permission[]>;

export type ApiKeyScope = keyof typeof API_KEY_SCOPES;

/** Every scope name, in table order. */
export const API_KEY_SCOPE_NAMES = Object.keys(API_KEY_SCOPES) as readonly ApiKeyScope[];

export function isApiKeyScope(value: unknown): value is ApiKeyScope {
  return typeof value === 'string' && Object.hasOwn(API_KEY_SCOPES, value);
}

/** The permissions a set of scopes grants together; unknown scope strings grant nothing. */
export function scopePermissions(scopes: readonly string[]): readonly Permission[] {
  const granted = new Set<Permission>();
  for (const scope of scopes) {
    if (isApiKeyScope(scope)) for (const permission of API_KEY_SCOPES[scope]) granted.add(permission);
  }
  return PERMISSION_NAMES.filter((p) => granted.has(p));
}

/** Whether a key with `scopes` may do what `permission` guards. Unknown scope strings grant nothing. */
export function scopeAllows(scopes: readonly string[], permission: Permission): boolean {
  return scopes.some(
    (scope) => isApiKeyScope(scope) && (API_KEY_SCOPES[scope] as readonly Permission[]).includes(permission),
  );
}

/** Whether a member with `role` may create a key with `scope`: a key never holds what its creator does not. */
export function roleCoversScope(role: Role, scope: ApiKeyScope): boolean {
  return API_KEY_SCOPES[scope].every((permission) => can(role, permission));
}

/** The role × permission matrix as a markdown table, for the docs. */
export function renderPermissionTable(): string {
  const header = `| Permission | ${ROLES.join(' | ')} | Meaning |`;
  const rule = `|---|${ROLES.map(() => ':-:').join('|')}|---|`;
  const rows = PERMISSION_NAMES.map(
    (p) => `| \`${p}\` | ${ROLES.map((role) => (can(role, p) ? '✓' : ' ')).join(' | ')} | ${PERMISSIONS[p]} |`,
  );
  return [header, rule, ...rows].join('\n') + '\n';
}

/** The API key scope table as markdown (scope → permissions granted), for the docs. */
export function renderScopeTable(): string {
  const rows = API_KEY_SCOPE_NAMES.map(
    (scope) => `| \`${scope}\` | ${API_KEY_SCOPES[scope].map((p) => `\`${p}\``).join(', ')} |`,
  );
  return ['| Scope | Grants |', '|---|---|', ...rows].join('\n') + '\n';
}
