import { describe, expect, it } from 'vitest';
import {
  API_KEY_SCOPES,
  API_KEY_SCOPE_NAMES,
  PERMISSIONS,
  PERMISSION_NAMES,
  ROLES,
  ROLE_PERMISSIONS,
  assignableRoles,
  can,
  canAssignRole,
  isApiKeyScope,
  isPermission,
  isRole,
  lowerRole,
  renderPermissionTable,
  renderScopeTable,
  roleCoversScope,
  scopeAllows,
  scopePermissions,
  type ApiKeyScope,
  type Permission,
  type Role,
} from './permissions.ts';

describe('the role chain', () => {
  it('each role holds everything the role below it holds, and something more', () => {
    for (let i = 0; i + 1 < ROLES.length; i++) {
      const upper = ROLES[i] as Role;
      const lower = ROLES[i + 1] as Role;
      for (const permission of ROLE_PERMISSIONS[lower])
        expect(can(upper, permission), `${upper} ⊇ ${lower}`).toBe(true);
      expect(ROLE_PERMISSIONS[upper].length).toBeGreaterThan(ROLE_PERMISSIONS[lower].length);
    }
  });

  it('lists every permission at most once per role, and the owner holds them all', () => {
    for (const role of ROLES) expect(new Set(ROLE_PERMISSIONS[role]).size).toBe(ROLE_PERMISSIONS[role].length);
    expect([...ROLE_PERMISSIONS.owner].sort()).toEqual([...PERMISSION_NAMES].sort());
  });

  // The lowest role that holds each permission: the written table, one row per permission.
  const lowestRole: Record<Permission, Role> = {
    'org:read': 'viewer',
    'org:manage': 'admin',
    'org:transfer': 'owner',
    'users:read': 'viewer',
    'users:invite': 'admin',
    'users:manage-roles': 'admin',
    'users:remove': 'admin',
    'api-keys:manage': 'admin',
    'numbers:read': 'viewer',
    'numbers:manage': 'admin',
    'messages:send': 'manager',
    'messages:read': 'viewer',
    'conversations:reply': 'operator',
    'conversations:assign': 'operator',
    'conversations:takeover': 'manager',
    'inbox:manage': 'manager',
    'contacts:read': 'viewer',
    'contacts:write': 'manager',
    'templates:read': 'viewer',
    'templates:manage': 'manager',
    'campaigns:read': 'viewer',
    'campaigns:manage': 'manager',
    'webhooks:manage': 'admin',
    'audit:read': 'admin',
    'data:export': 'admin',
    'data:erase': 'admin',
    'billing:read': 'admin',
    'billing:manage': 'owner',
  };

  it.each(Object.entries(lowestRole) as [Permission, Role][])('%s is held from %s upwards', (permission, lowest) => {
    for (const role of ROLES) {
      expect(can(role, permission), `${role} / ${permission}`).toBe(ROLES.indexOf(role) <= ROLES.indexOf(lowest));
    }
  });

  it('covers every permission in that table', () => {
    expect(Object.keys(lowestRole).sort()).toEqual([...PERMISSION_NAMES].sort());
  });

  it.each([
    ['owner', 'viewer', 'viewer'],
    ['viewer', 'owner', 'viewer'],
    ['admin', 'manager', 'manager'],
    ['operator', 'operator', 'operator'],
  ] as const)('lowerRole(%s, %s) is %s', (a, b, expected) => {
    expect(lowerRole(a, b)).toBe(expected);
  });

  it('recognises roles and permissions, and nothing inherited from Object.prototype', () => {
    expect(isRole('admin')).toBe(true);
    expect(isRole('root')).toBe(false);
    expect(isPermission('audit:read')).toBe(true);
    expect(isPermission('toString')).toBe(false);
    expect(isApiKeyScope('constructor')).toBe(false);
  });
});

describe('assignableRoles', () => {
  it.each([
    ['owner', ['owner', 'admin', 'manager', 'operator', 'viewer']],
    ['admin', ['admin', 'manager', 'operator', 'viewer']],
    ['manager', []],
    ['operator', []],
    ['viewer', []],
  ] as const)('%s may assign %j', (role, expected) => {
    expect(assignableRoles(role)).toEqual(expected);
  });

  it('never lets anyone assign above their own role', () => {
    for (const actor of ROLES) {
      for (const role of assignableRoles(actor))
        expect(ROLES.indexOf(role)).toBeGreaterThanOrEqual(ROLES.indexOf(actor));
    }
    expect(canAssignRole('admin', 'owner')).toBe(false);
    expect(canAssignRole('owner', 'owner')).toBe(true);
  });
});

describe('API key scopes', () => {
  it.each([
    [['messages:send'], 'messages:send', true],
    [['messages:send'], 'conversations:reply', true],
    [['messages:send'], 'messages:read', false],
    [['contacts:read'], 'contacts:write', false],
    [['contacts:write'], 'contacts:read', true],
    [['campaigns:*'], 'campaigns:manage', true],
    [['campaigns:*'], 'campaigns:read', true],
    [['campaigns:read'], 'campaigns:manage', false],
    [['campaigns:write'], 'campaigns:manage', true],
    [['templates:*'], 'templates:manage', true],
    [['numbers:*'], 'numbers:manage', true],
    [['webhooks:*'], 'webhooks:manage', true],
    [['read'], 'contacts:read', true],
    [['read'], 'campaigns:read', true],
    [['read'], 'contacts:write', false],
    [['read'], 'users:read', false],
    [['read'], 'audit:read', false],
    [['read', 'messages:send'], 'messages:send', true],
    [[], 'org:read', false],
    [['bogus', 'campaigns:'], 'campaigns:read', false],
    [['toString'], 'org:read', false],
  ] as const)('%j allows %s: %s', (scopes, permission, expected) => {
    expect(scopeAllows(scopes, permission)).toBe(expected);
  });

  it('never grants people, keys, audit, billing, data or ownership', () => {
    const never: Permission[] = [
      'users:read',
      'users:invite',
      'users:manage-roles',
      'users:remove',
      'api-keys:manage',
      'audit:read',
      'billing:read',
      'billing:manage',
      'data:export',
      'data:erase',
      'org:manage',
      'org:transfer',
    ];
    for (const permission of never) expect(scopeAllows(API_KEY_SCOPE_NAMES, permission), permission).toBe(false);
  });

  it('maps every scope to known permissions and unions them in table order', () => {
    for (const scope of API_KEY_SCOPE_NAMES) for (const p of API_KEY_SCOPES[scope]) expect(isPermission(p)).toBe(true);
    expect(scopePermissions(['campaigns:*', 'contacts:read', 'nope'])).toEqual([
      'contacts:read',
      'campaigns:read',
      'campaigns:manage',
    ]);
  });

  it.each([
    ['admin', 'webhooks:*', true],
    ['manager', 'campaigns:*', true],
    ['manager', 'numbers:*', false],
    ['manager', 'webhooks:*', false],
    ['operator', 'messages:send', false],
    ['viewer', 'read', true],
  ] as [Role, ApiKeyScope, boolean][])('a %s may grant %s: %s', (role, scope, expected) => {
    expect(roleCoversScope(role, scope)).toBe(expected);
  });
});

describe('rendered tables', () => {
  it('renders one row per permission with a tick per holding role', () => {
    const lines = renderPermissionTable().trimEnd().split('\n');
    expect(lines[0]).toBe('| Permission | owner | admin | manager | operator | viewer | Meaning |');
    expect(lines).toHaveLength(2 + PERMISSION_NAMES.length);
    expect(lines).toContain(`| \`billing:manage\` | ✓ |   |   |   |   | ${PERMISSIONS['billing:manage']} |`);
    expect(lines).toContain(`| \`org:read\` | ✓ | ✓ | ✓ | ✓ | ✓ | ${PERMISSIONS['org:read']} |`);
  });

  it('renders one row per scope', () => {
    const lines = renderScopeTable().trimEnd().split('\n');
    expect(lines).toHaveLength(2 + API_KEY_SCOPE_NAMES.length);
    expect(lines).toContain('| `campaigns:*` | `campaigns:read`, `campaigns:manage` |');
  });
});
