import { describe, expect, it } from 'vitest';
import type { TurnContext, TurnResult } from '../../core/index.ts';
import { orgActor } from './org.actor.ts';
import {
  API_KEY_TOUCH_RESOLUTION_MS,
  EXPIRED_INVITE_KEPT_MS,
  type Caller,
  type OrgMsg,
  type OrgView,
} from './org.messages.ts';
import {
  AUDIT_SEGMENTS_KEPT,
  AUDIT_SEGMENT_SIZE,
  initialOrgState,
  type AuditEntry,
  type OrgState,
} from './org.state.ts';

const ORG_ID = 'acme';
const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

function ctxAt(nowMs: number): TurnContext {
  let n = 0;
  return { self: { kind: 'org', id: ORG_ID }, nowMs, msgId: 'm-1', newId: () => `id-${++n}` };
}

function run(state: OrgState, msg: OrgMsg, nowMs = T0): TurnResult<OrgState> {
  return orgActor.handle(state, msg, ctxAt(nowMs));
}

const OWNER: Caller = { userId: 'u-owner', role: 'owner' };
const ADMIN: Caller = { userId: 'u-admin', role: 'admin' };
const MANAGER: Caller = { userId: 'u-manager', role: 'manager' };
const OPERATOR: Caller = { userId: 'u-operator', role: 'operator' };
const VIEWER: Caller = { userId: 'u-viewer', role: 'viewer' };

const tokenHash = (n: string) => `invite-token-hash-${n}`;
const secretHash = (n: string) => `key-secret-hash-${n}`;

function founded(): OrgState {
  return run(initialOrgState(), {
    type: 'createOrg',
    name: 'Acme',
    owner: { userId: OWNER.userId, email: 'Owner@Acme.test ' },
  }).state;
}

/** Invites `userId` as `role` (by the owner) and accepts, at T0. */
function join(state: OrgState, caller: Caller): OrgState {
  const inviteId = `inv-${caller.userId}`;
  const invited = run(state, {
    type: 'inviteUser',
    inviteId,
    email: `${caller.userId}@acme.test`,
    role: caller.role,
    tokenHash: tokenHash(caller.userId),
    expiresAtMs: T0 + DAY,
    by: OWNER,
  }).state;
  const accepted = run(invited, {
    type: 'acceptInvite',
    inviteId,
    tokenHash: tokenHash(caller.userId),
    userId: caller.userId,
  });
  expect(accepted.reply).toMatchObject({ ok: true });
  return accepted.state;
}

/** An org with one member of each role. */
function staffed(): OrgState {
  return [ADMIN, MANAGER, OPERATOR, VIEWER].reduce(join, founded());
}

function expectRefused(result: TurnResult<OrgState>, before: OrgState, code: string): void {
  expect(result.state).toBe(before);
  expect(result.effects ?? []).toEqual([]);
  expect(result.reply).toEqual({ ok: false, code, message: expect.any(String) });
}

function createKey(state: OrgState, keyId = 'k1', by: Caller = ADMIN): OrgState {
  return run(state, {
    type: 'createApiKey',
    keyId,
    name: 'CRM sync',
    scopes: ['contacts:write', 'messages:send'],
    secretHash: secretHash(keyId),
    by,
  }).state;
}

describe('createOrg', () => {
  it('creates the organisation with its owner and audits it', () => {
    const result = run(initialOrgState(), {
      type: 'createOrg',
      name: 'Acme',
      owner: { userId: 'u-owner', email: ' Owner@Acme.TEST' },
    });
    expect(result).toEqual({
      state: {
        name: 'Acme',
        createdAtMs: T0,
        members: {
          'u-owner': { email: 'owner@acme.test', role: 'owner', status: 'active', joinedAtMs: T0, removedAtMs: null },
        },
        invites: {},
        apiKeys: {},
        audit: [
          {
            seq: 1,
            id: 'id-1',
            atMs: T0,
            event: 'orgCreated',
            actor: { kind: 'user', id: 'u-owner' },
            detail: { name: 'Acme', ownerEmail: 'owner@acme.test' },
          },
        ],
        nextAuditSeq: 2,
        auditSegments: [],
        nextAuditSegment: 1,
      },
      reply: { ok: true, orgId: ORG_ID, createdAtMs: T0, alreadyExisted: false },
    });
  });

  it('answers a repeat of the same creation as done, and refuses any other', () => {
    const state = founded();
    const again = run(state, { type: 'createOrg', name: 'Acme', owner: { userId: 'u-owner', email: 'x@y.z' } }, T0 + 5);
    expect(again).toEqual({ state, reply: { ok: true, orgId: ORG_ID, createdAtMs: T0, alreadyExisted: true } });
    expect(again.state).toBe(state);
    expectRefused(
      run(state, { type: 'createOrg', name: 'Other', owner: { userId: 'u-owner', email: 'owner@acme.test' } }),
      state,
      'PARLO_ORG_EXISTS',
    );
    expectRefused(
      run(state, { type: 'createOrg', name: 'Acme', owner: { userId: 'u-else', email: 'else@acme.test' } }),
      state,
      'PARLO_ORG_EXISTS',
    );
  });

  it.each<OrgMsg>([
    { type: 'getOrg', by: OWNER },
    { type: 'getMember', userId: 'u-owner' },
    { type: 'verifyApiKey', keyId: 'k1', secretHash: secretHash('k1') },
    { type: 'touchApiKey', keyId: 'k1' },
    { type: 'checkInvite', inviteId: 'i', tokenHash: tokenHash('i') },
    { type: 'recordAudit', event: 'numberConnected', actor: { kind: 'system', id: 'number' }, detail: {} },
    { type: 'listAudit', by: OWNER },
  ])('refuses $type on an organisation that does not exist', (msg) => {
    const state = initialOrgState();
    expectRefused(run(state, msg), state, 'PARLO_ORG_NOT_FOUND');
  });
});

describe('inviteUser', () => {
  it('records the invite, audits it and sets a timer to prune it after expiry', () => {
    const state = staffed();
    const result = run(
      state,
      {
        type: 'inviteUser',
        inviteId: 'inv-9',
        email: 'New@Acme.test',
        role: 'manager',
        tokenHash: tokenHash('9'),
        expiresAtMs: T0 + 7 * DAY,
        by: ADMIN,
      },
      T0 + HOUR,
    );
    expect(result.reply).toEqual({ ok: true, inviteId: 'inv-9', expiresAtMs: T0 + 7 * DAY });
    expect(result.effects).toEqual([
      {
        type: 'setTimer',
        name: 'invite:inv-9',
        dueAtMs: T0 + 7 * DAY + EXPIRED_INVITE_KEPT_MS,
        msg: { type: 'inviteExpired', inviteId: 'inv-9' },
      },
    ]);
    expect(result.state).toEqual({
      ...state,
      invites: {
        'inv-9': {
          email: 'new@acme.test',
          role: 'manager',
          tokenHash: tokenHash('9'),
          expiresAtMs: T0 + 7 * DAY,
          invitedBy: 'u-admin',
          createdAtMs: T0 + HOUR,
        },
      },
      audit: [
        {
          seq: state.nextAuditSeq,
          id: 'id-1',
          atMs: T0 + HOUR,
          event: 'userInvited',
          actor: { kind: 'user', id: 'u-admin' },
          detail: { inviteId: 'inv-9', email: 'new@acme.test', role: 'manager', replacedInvites: 0 },
        },
        ...state.audit,
      ],
      nextAuditSeq: state.nextAuditSeq + 1,
    });
  });

  it('replaces an older invite for the same email and cancels its timer', () => {
    const base = staffed();
    const invite = (inviteId: string, state: OrgState) =>
      run(state, {
        type: 'inviteUser',
        inviteId,
        email: 'new@acme.test',
        role: 'viewer',
        tokenHash: tokenHash(inviteId),
        expiresAtMs: T0 + DAY,
        by: OWNER,
      });
    const second = invite('inv-b', invite('inv-a', base).state);
    expect(Object.keys(second.state.invites)).toEqual(['inv-b']);
    expect(second.effects?.[0]).toEqual({ type: 'cancelTimer', name: 'invite:inv-a' });
    expect(second.state.audit[0]?.detail).toMatchObject({ replacedInvites: 1 });
  });

  const invite = (over: Partial<Extract<OrgMsg, { type: 'inviteUser' }>>): OrgMsg => ({
    type: 'inviteUser',
    inviteId: 'inv-x',
    email: 'x@acme.test',
    role: 'viewer',
    tokenHash: tokenHash('x'),
    expiresAtMs: T0 + DAY,
    by: ADMIN,
    ...over,
  });

  it.each([
    ['a manager (no users:invite)', invite({ by: MANAGER }), 'PARLO_ACCESS_FORBIDDEN'],
    ['a viewer', invite({ by: VIEWER }), 'PARLO_ACCESS_FORBIDDEN'],
    ['an admin inviting an owner', invite({ role: 'owner' }), 'PARLO_ACCESS_FORBIDDEN'],
    ['a stranger', invite({ by: { userId: 'u-stranger', role: 'owner' } }), 'PARLO_ACCESS_FORBIDDEN'],
    [
      'an admin whose session claims owner',
      invite({ role: 'owner', by: { ...ADMIN, role: 'owner' } }),
      'PARLO_ACCESS_FORBIDDEN',
    ],
    ['an email that is a member (any case)', invite({ email: 'U-Viewer@acme.test' }), 'PARLO_MEMBER_EXISTS'],
    ['an invite id already used', invite({ inviteId: 'inv-pending' }), 'PARLO_ID_CONFLICT'],
    ['an expiry in the past', invite({ expiresAtMs: T0 }), 'PARLO_INVITE_EXPIRED'],
  ] as const)('refuses %s', (_label, msg, code) => {
    const state = run(staffed(), invite({ inviteId: 'inv-pending', email: 'pending@acme.test' })).state;
    expectRefused(run(state, msg), state, code);
  });
});

describe('checkInvite, acceptInvite, cancelInvite and inviteExpired', () => {
  const pending = (): OrgState =>
    run(staffed(), {
      type: 'inviteUser',
      inviteId: 'inv-1',
      email: 'new@acme.test',
      role: 'operator',
      tokenHash: tokenHash('1'),
      expiresAtMs: T0 + DAY,
      by: ADMIN,
    }).state;

  it('checkInvite answers the invite for the right token without changing anything', () => {
    const state = pending();
    expect(run(state, { type: 'checkInvite', inviteId: 'inv-1', tokenHash: tokenHash('1') })).toEqual({
      state,
      reply: { ok: true, inviteId: 'inv-1', email: 'new@acme.test', role: 'operator', expiresAtMs: T0 + DAY },
    });
  });

  it('acceptInvite makes the invitee a member, consumes the invite and cancels its timer', () => {
    const state = pending();
    const result = run(
      state,
      { type: 'acceptInvite', inviteId: 'inv-1', tokenHash: tokenHash('1'), userId: 'u-new' },
      T0 + HOUR,
    );
    expect(result.reply).toEqual({ ok: true, userId: 'u-new', email: 'new@acme.test', role: 'operator' });
    expect(result.effects).toEqual([{ type: 'cancelTimer', name: 'invite:inv-1' }]);
    expect(result.state).toEqual({
      ...state,
      members: {
        ...state.members,
        'u-new': {
          email: 'new@acme.test',
          role: 'operator',
          status: 'active',
          joinedAtMs: T0 + HOUR,
          removedAtMs: null,
        },
      },
      invites: {},
      audit: [
        {
          seq: state.nextAuditSeq,
          id: 'id-1',
          atMs: T0 + HOUR,
          event: 'inviteAccepted',
          actor: { kind: 'user', id: 'u-new' },
          detail: { inviteId: 'inv-1', email: 'new@acme.test', role: 'operator', invitedBy: 'u-admin' },
        },
        ...state.audit,
      ],
      nextAuditSeq: state.nextAuditSeq + 1,
    });
    // Single use: the same token no longer opens anything.
    expectRefused(
      run(result.state, { type: 'acceptInvite', inviteId: 'inv-1', tokenHash: tokenHash('1'), userId: 'u-other' }),
      result.state,
      'PARLO_INVITE_INVALID',
    );
  });

  it.each([
    ['a wrong token', { inviteId: 'inv-1', tokenHash: tokenHash('2') }, T0, 'PARLO_INVITE_INVALID'],
    ['an unknown invite', { inviteId: 'inv-404', tokenHash: tokenHash('1') }, T0, 'PARLO_INVITE_INVALID'],
    ['an inherited key as id', { inviteId: 'constructor', tokenHash: tokenHash('1') }, T0, 'PARLO_INVITE_INVALID'],
    ['an expired invite', { inviteId: 'inv-1', tokenHash: tokenHash('1') }, T0 + DAY, 'PARLO_INVITE_EXPIRED'],
  ] as const)('refuses %s', (_label, fields, nowMs, code) => {
    const state = pending();
    expectRefused(run(state, { type: 'checkInvite', ...fields }, nowMs), state, code);
    expectRefused(run(state, { type: 'acceptInvite', ...fields, userId: 'u-new' }, nowMs), state, code);
  });

  it('refuses to accept for someone who is already a member', () => {
    const state = pending();
    expectRefused(
      run(state, { type: 'acceptInvite', inviteId: 'inv-1', tokenHash: tokenHash('1'), userId: 'u-viewer' }),
      state,
      'PARLO_MEMBER_EXISTS',
    );
  });

  it('cancelInvite removes the invite, cancels its timer and audits it; only for roles within reach', () => {
    const state = pending();
    const result = run(state, { type: 'cancelInvite', inviteId: 'inv-1', by: OWNER });
    expect(result.reply).toEqual({ ok: true, inviteId: 'inv-1' });
    expect(result.effects).toEqual([{ type: 'cancelTimer', name: 'invite:inv-1' }]);
    expect(result.state.invites).toEqual({});
    expect(result.state.audit[0]).toMatchObject({ event: 'inviteCancelled', detail: { inviteId: 'inv-1' } });
    expectRefused(
      run(state, { type: 'cancelInvite', inviteId: 'inv-1', by: MANAGER }),
      state,
      'PARLO_ACCESS_FORBIDDEN',
    );
    expectRefused(run(state, { type: 'cancelInvite', inviteId: 'nope', by: OWNER }), state, 'PARLO_INVITE_INVALID');
    const ownerInvite = run(state, {
      type: 'inviteUser',
      inviteId: 'inv-o',
      email: 'co-owner@acme.test',
      role: 'owner',
      tokenHash: tokenHash('o'),
      expiresAtMs: T0 + DAY,
      by: OWNER,
    }).state;
    expectRefused(
      run(ownerInvite, { type: 'cancelInvite', inviteId: 'inv-o', by: ADMIN }),
      ownerInvite,
      'PARLO_ACCESS_FORBIDDEN',
    );
  });

  it('inviteExpired prunes an expired invite without an audit entry, and ignores anything else', () => {
    const state = pending();
    const due = T0 + DAY + EXPIRED_INVITE_KEPT_MS;
    expect(run(state, { type: 'inviteExpired', inviteId: 'inv-1' }, due)).toEqual({
      state: { ...state, invites: {} },
      reply: { ok: true, pruned: true },
    });
    expect(run(state, { type: 'inviteExpired', inviteId: 'inv-1' }, T0)).toEqual({
      state,
      reply: { ok: true, pruned: false },
    });
    expect(run(state, { type: 'inviteExpired', inviteId: 'gone' }, due)).toEqual({
      state,
      reply: { ok: true, pruned: false },
    });
    const none = initialOrgState();
    expect(run(none, { type: 'inviteExpired', inviteId: 'x' }, due)).toEqual({
      state: none,
      reply: { ok: true, pruned: false },
    });
  });
});

describe('changeRole', () => {
  it('changes a role and audits from → to', () => {
    const state = staffed();
    const result = run(state, { type: 'changeRole', userId: 'u-operator', role: 'manager', by: ADMIN }, T0 + HOUR);
    expect(result.reply).toEqual({ ok: true, userId: 'u-operator', role: 'manager', previousRole: 'operator' });
    expect(result.effects).toBeUndefined();
    expect(result.state).toEqual({
      ...state,
      members: { ...state.members, 'u-operator': { ...state.members['u-operator'], role: 'manager' } },
      audit: [
        {
          seq: state.nextAuditSeq,
          id: 'id-1',
          atMs: T0 + HOUR,
          event: 'roleChanged',
          actor: { kind: 'user', id: 'u-admin' },
          detail: { userId: 'u-operator', email: 'u-operator@acme.test', from: 'operator', to: 'manager' },
        },
        ...state.audit,
      ],
      nextAuditSeq: state.nextAuditSeq + 1,
    });
  });

  it('lets the owner hand ownership on and then step down, but never leaves the org without an owner', () => {
    const state = staffed();
    expectRefused(
      run(state, { type: 'changeRole', userId: 'u-owner', role: 'admin', by: OWNER }),
      state,
      'PARLO_LAST_OWNER',
    );
    const twoOwners = run(state, { type: 'changeRole', userId: 'u-admin', role: 'owner', by: OWNER }).state;
    const steppedDown = run(twoOwners, { type: 'changeRole', userId: 'u-owner', role: 'admin', by: OWNER });
    expect(steppedDown.reply).toMatchObject({ ok: true, role: 'admin', previousRole: 'owner' });
    expect(steppedDown.state.members['u-owner']?.role).toBe('admin');
    expect(steppedDown.state.members['u-admin']?.role).toBe('owner');
  });

  it('answers a change to the same role as done without writing', () => {
    const state = staffed();
    expect(run(state, { type: 'changeRole', userId: 'u-viewer', role: 'viewer', by: ADMIN })).toEqual({
      state,
      reply: { ok: true, userId: 'u-viewer', role: 'viewer', previousRole: 'viewer' },
    });
  });

  it.each([
    ['an admin promoting to owner', { userId: 'u-viewer', role: 'owner', by: ADMIN }, 'PARLO_ACCESS_FORBIDDEN'],
    ['an admin demoting an owner', { userId: 'u-owner', role: 'viewer', by: ADMIN }, 'PARLO_ACCESS_FORBIDDEN'],
    ['a manager', { userId: 'u-viewer', role: 'operator', by: MANAGER }, 'PARLO_ACCESS_FORBIDDEN'],
    ['an unknown user', { userId: 'u-ghost', role: 'viewer', by: ADMIN }, 'PARLO_USER_NOT_FOUND'],
    ['an inherited key as user id', { userId: '__proto__', role: 'viewer', by: ADMIN }, 'PARLO_USER_NOT_FOUND'],
  ] as const)('refuses %s', (_label, fields, code) => {
    const state = staffed();
    expectRefused(run(state, { type: 'changeRole', ...fields }), state, code);
  });

  it('uses the stored role when a stale session claims more', () => {
    const demoted = run(staffed(), { type: 'changeRole', userId: 'u-admin', role: 'viewer', by: OWNER }).state;
    expectRefused(
      run(demoted, { type: 'changeRole', userId: 'u-operator', role: 'viewer', by: ADMIN }),
      demoted,
      'PARLO_ACCESS_FORBIDDEN',
    );
  });
});

describe('removeMember', () => {
  it('marks the member removed, audits it and revokes their sessions through their login', () => {
    const state = staffed();
    const result = run(state, { type: 'removeMember', userId: 'u-operator', by: ADMIN }, T0 + HOUR);
    expect(result.reply).toEqual({ ok: true, userId: 'u-operator' });
    expect(result.effects).toEqual([
      {
        type: 'tell',
        to: { kind: 'login', id: 'u-operator@acme.test' },
        msg: { type: 'revokeAllSessions', reason: 'memberRemoved' },
      },
    ]);
    expect(result.state.members['u-operator']).toEqual({
      email: 'u-operator@acme.test',
      role: 'operator',
      status: 'removed',
      joinedAtMs: T0,
      removedAtMs: T0 + HOUR,
    });
    expect(result.state.audit[0]).toEqual({
      seq: state.nextAuditSeq,
      id: 'id-1',
      atMs: T0 + HOUR,
      event: 'memberRemoved',
      actor: { kind: 'user', id: 'u-admin' },
      detail: { userId: 'u-operator', email: 'u-operator@acme.test', role: 'operator', left: false },
    });
    // A removed member can no longer act, whatever their session says.
    expectRefused(run(result.state, { type: 'getOrg', by: OPERATOR }), result.state, 'PARLO_ACCESS_FORBIDDEN');
    expectRefused(
      run(result.state, { type: 'removeMember', userId: 'u-operator', by: ADMIN }),
      result.state,
      'PARLO_USER_NOT_FOUND',
    );
  });

  it('lets any member leave, but not the last owner', () => {
    const state = staffed();
    const left = run(state, { type: 'removeMember', userId: 'u-viewer', by: VIEWER });
    expect(left.reply).toEqual({ ok: true, userId: 'u-viewer' });
    expect(left.state.audit[0]?.detail).toMatchObject({ left: true });
    expectRefused(run(state, { type: 'removeMember', userId: 'u-owner', by: OWNER }), state, 'PARLO_LAST_OWNER');
  });

  it.each([
    ['an admin removing an owner', { userId: 'u-owner', by: ADMIN }],
    ['a manager removing an operator', { userId: 'u-operator', by: MANAGER }],
    ['a stranger', { userId: 'u-viewer', by: { userId: 'u-x', role: 'owner' } }],
  ] as const)('refuses %s', (_label, fields) => {
    const state = staffed();
    expectRefused(run(state, { type: 'removeMember', ...fields }), state, 'PARLO_ACCESS_FORBIDDEN');
  });

  it('welcomes a removed member back through a new invite', () => {
    const removed = run(staffed(), { type: 'removeMember', userId: 'u-viewer', by: ADMIN }).state;
    const back = join(removed, VIEWER);
    expect(back.members['u-viewer']).toMatchObject({ status: 'active', removedAtMs: null });
  });
});

describe('API keys', () => {
  it('createApiKey stores the key (scopes de-duplicated) and audits it', () => {
    const state = staffed();
    const result = run(
      state,
      {
        type: 'createApiKey',
        keyId: 'k1',
        name: 'CRM sync',
        scopes: ['contacts:write', 'messages:send', 'contacts:write'],
        secretHash: secretHash('k1'),
        by: ADMIN,
      },
      T0 + HOUR,
    );
    expect(result.reply).toEqual({
      ok: true,
      keyId: 'k1',
      scopes: ['contacts:write', 'messages:send'],
      createdAtMs: T0 + HOUR,
    });
    expect(result.state).toEqual({
      ...state,
      apiKeys: {
        k1: {
          name: 'CRM sync',
          scopes: ['contacts:write', 'messages:send'],
          secretHash: secretHash('k1'),
          createdAtMs: T0 + HOUR,
          createdBy: 'u-admin',
          lastUsedAtMs: null,
          revokedAtMs: null,
        },
      },
      audit: [
        {
          seq: state.nextAuditSeq,
          id: 'id-1',
          atMs: T0 + HOUR,
          event: 'apiKeyCreated',
          actor: { kind: 'user', id: 'u-admin' },
          detail: { keyId: 'k1', name: 'CRM sync', scopes: 'contacts:write messages:send' },
        },
        ...state.audit,
      ],
      nextAuditSeq: state.nextAuditSeq + 1,
    });
  });

  it('refuses keys to members without api-keys:manage and reused key ids', () => {
    const state = createKey(staffed());
    const msg = (by: Caller, keyId = 'k2'): OrgMsg => ({
      type: 'createApiKey',
      keyId,
      name: 'n',
      scopes: ['read'],
      secretHash: secretHash(keyId),
      by,
    });
    expectRefused(run(state, msg(MANAGER)), state, 'PARLO_ACCESS_FORBIDDEN');
    expectRefused(run(state, msg({ ...MANAGER, role: 'owner' })), state, 'PARLO_ACCESS_FORBIDDEN');
    expectRefused(run(state, msg(OWNER, 'k1')), state, 'PARLO_ID_CONFLICT');
  });

  it('verifyApiKey answers the scopes for the right secret only, and reveals revocation only to its holder', () => {
    const state = createKey(staffed());
    expect(run(state, { type: 'verifyApiKey', keyId: 'k1', secretHash: secretHash('k1') })).toEqual({
      state,
      reply: { ok: true, orgId: ORG_ID, keyId: 'k1', name: 'CRM sync', scopes: ['contacts:write', 'messages:send'] },
    });
    expectRefused(
      run(state, { type: 'verifyApiKey', keyId: 'k1', secretHash: secretHash('zz') }),
      state,
      'PARLO_API_KEY_INVALID',
    );
    expectRefused(
      run(state, { type: 'verifyApiKey', keyId: 'k9', secretHash: secretHash('k9') }),
      state,
      'PARLO_API_KEY_INVALID',
    );
    const revoked = run(state, { type: 'revokeApiKey', keyId: 'k1', by: ADMIN }).state;
    expectRefused(
      run(revoked, { type: 'verifyApiKey', keyId: 'k1', secretHash: secretHash('k1') }),
      revoked,
      'PARLO_API_KEY_REVOKED',
    );
    expectRefused(
      run(revoked, { type: 'verifyApiKey', keyId: 'k1', secretHash: secretHash('zz') }),
      revoked,
      'PARLO_API_KEY_INVALID',
    );
  });

  it('revokeApiKey revokes once and audits; revoking again answers the first time', () => {
    const state = createKey(staffed());
    const result = run(state, { type: 'revokeApiKey', keyId: 'k1', by: OWNER }, T0 + HOUR);
    expect(result.reply).toEqual({ ok: true, keyId: 'k1', revokedAtMs: T0 + HOUR });
    expect(result.state.apiKeys['k1']?.revokedAtMs).toBe(T0 + HOUR);
    expect(result.state.audit[0]).toEqual({
      seq: state.nextAuditSeq,
      id: 'id-1',
      atMs: T0 + HOUR,
      event: 'apiKeyRevoked',
      actor: { kind: 'user', id: 'u-owner' },
      detail: { keyId: 'k1', name: 'CRM sync' },
    });
    expect(run(result.state, { type: 'revokeApiKey', keyId: 'k1', by: ADMIN }, T0 + DAY)).toEqual({
      state: result.state,
      reply: { ok: true, keyId: 'k1', revokedAtMs: T0 + HOUR },
    });
    expectRefused(run(state, { type: 'revokeApiKey', keyId: 'k9', by: ADMIN }), state, 'PARLO_API_KEY_INVALID');
    expectRefused(run(state, { type: 'revokeApiKey', keyId: 'k1', by: OPERATOR }), state, 'PARLO_ACCESS_FORBIDDEN');
  });

  it('touchApiKey records the last use at most once per resolution, without an audit entry', () => {
    const state = createKey(staffed());
    const first = run(state, { type: 'touchApiKey', keyId: 'k1' }, T0 + HOUR);
    expect(first.reply).toEqual({ ok: true, lastUsedAtMs: T0 + HOUR });
    expect(first.state).toEqual({
      ...state,
      apiKeys: { k1: { ...state.apiKeys['k1'], lastUsedAtMs: T0 + HOUR } },
    });
    const soon = run(first.state, { type: 'touchApiKey', keyId: 'k1' }, T0 + HOUR + API_KEY_TOUCH_RESOLUTION_MS - 1);
    expect(soon).toEqual({ state: first.state, reply: { ok: true, lastUsedAtMs: T0 + HOUR } });
    const later = run(first.state, { type: 'touchApiKey', keyId: 'k1' }, T0 + HOUR + API_KEY_TOUCH_RESOLUTION_MS);
    expect(later.state.apiKeys['k1']?.lastUsedAtMs).toBe(T0 + HOUR + API_KEY_TOUCH_RESOLUTION_MS);
    const revoked = run(state, { type: 'revokeApiKey', keyId: 'k1', by: ADMIN }).state;
    expectRefused(run(revoked, { type: 'touchApiKey', keyId: 'k1' }), revoked, 'PARLO_API_KEY_REVOKED');
    expectRefused(run(state, { type: 'touchApiKey', keyId: 'k9' }), state, 'PARLO_API_KEY_INVALID');
  });
});

describe('getOrg and getMember', () => {
  const withEverything = (): OrgState => {
    const state = createKey(staffed());
    return run(state, {
      type: 'inviteUser',
      inviteId: 'inv-1',
      email: 'new@acme.test',
      role: 'viewer',
      tokenHash: tokenHash('1'),
      expiresAtMs: T0 + DAY,
      by: ADMIN,
    }).state;
  };

  it('shows an admin members, invites and keys, never a token or secret hash', () => {
    const state = withEverything();
    const result = run(state, { type: 'getOrg', by: ADMIN });
    expect(result.state).toBe(state);
    const view = result.reply as OrgView;
    expect(view).toMatchObject({ ok: true, orgId: ORG_ID, name: 'Acme', createdAtMs: T0 });
    expect(view.members.map((m) => [m.userId, m.role])).toEqual([
      ['u-owner', 'owner'],
      ['u-admin', 'admin'],
      ['u-manager', 'manager'],
      ['u-operator', 'operator'],
      ['u-viewer', 'viewer'],
    ]);
    expect(view.invites).toEqual([
      {
        inviteId: 'inv-1',
        email: 'new@acme.test',
        role: 'viewer',
        expiresAtMs: T0 + DAY,
        invitedBy: 'u-admin',
        createdAtMs: T0,
      },
    ]);
    expect(view.apiKeys).toEqual([
      {
        keyId: 'k1',
        name: 'CRM sync',
        scopes: ['contacts:write', 'messages:send'],
        createdAtMs: T0,
        createdBy: 'u-admin',
        lastUsedAtMs: null,
        revokedAtMs: null,
      },
    ]);
    expect(JSON.stringify(view)).not.toMatch(/hash/i);
  });

  it('shows a viewer the members but not invites or keys; refuses strangers', () => {
    const state = withEverything();
    const view = run(state, { type: 'getOrg', by: VIEWER }).reply as OrgView;
    expect(view.members).toHaveLength(5);
    expect(view.invites).toBeNull();
    expect(view.apiKeys).toBeNull();
    expectRefused(
      run(state, { type: 'getOrg', by: { userId: 'u-x', role: 'owner' } }),
      state,
      'PARLO_ACCESS_FORBIDDEN',
    );
  });

  it('getMember answers a member, removed ones included, and refuses unknown ids', () => {
    const state = staffed();
    expect(run(state, { type: 'getMember', userId: 'u-manager' })).toEqual({
      state,
      reply: {
        ok: true,
        member: {
          userId: 'u-manager',
          email: 'u-manager@acme.test',
          role: 'manager',
          status: 'active',
          joinedAtMs: T0,
          removedAtMs: null,
        },
      },
    });
    expectRefused(run(state, { type: 'getMember', userId: 'toString' }), state, 'PARLO_USER_NOT_FOUND');
  });
});

describe('audit log', () => {
  it('recordAudit appends an entry for events that happened elsewhere', () => {
    const state = founded();
    const result = run(
      state,
      {
        type: 'recordAudit',
        event: 'numberConnected',
        actor: { kind: 'user', id: 'u-owner' },
        detail: { phoneNumberId: '1002' },
      },
      T0 + HOUR,
    );
    expect(result).toEqual({
      state: {
        ...state,
        audit: [
          {
            seq: 2,
            id: 'id-1',
            atMs: T0 + HOUR,
            event: 'numberConnected',
            actor: { kind: 'user', id: 'u-owner' },
            detail: { phoneNumberId: '1002' },
          },
          ...state.audit,
        ],
        nextAuditSeq: 3,
      },
      reply: { ok: true, seq: 2 },
    });
  });

  it('listAudit pages newest first with a before cursor, for owners and admins only', () => {
    let state = founded();
    for (let i = 0; i < 5; i++) {
      state = run(state, {
        type: 'recordAudit',
        event: 'dataExported',
        actor: { kind: 'system', id: 'export' },
        detail: { i },
      }).state;
    }
    state = join(state, ADMIN); // seq 7 (userInvited), 8 (inviteAccepted)
    state = join(state, MANAGER); // seq 9, 10
    const page1 = run(state, { type: 'listAudit', by: ADMIN, limit: 4 });
    expect(page1.state).toBe(state);
    expect(page1.reply).toMatchObject({ ok: true, nextBefore: 7 });
    const seqs = (reply: unknown) => (reply as { entries: AuditEntry[] }).entries.map((e) => e.seq);
    expect(seqs(page1.reply)).toEqual([10, 9, 8, 7]);
    const page2 = run(state, { type: 'listAudit', by: OWNER, limit: 4, before: 7 });
    expect(seqs(page2.reply)).toEqual([6, 5, 4, 3]);
    expect(page2.reply).toMatchObject({ nextBefore: 3 });
    const page3 = run(state, { type: 'listAudit', by: OWNER, limit: 4, before: 3 });
    expect(seqs(page3.reply)).toEqual([2, 1]);
    expect(page3.reply).toMatchObject({ nextBefore: null });
    expect(seqs(run(state, { type: 'listAudit', by: OWNER, before: 1 }).reply)).toEqual([]);
    expect(seqs(run(state, { type: 'listAudit', by: OWNER }).reply)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expectRefused(run(state, { type: 'listAudit', by: MANAGER }), state, 'PARLO_ACCESS_FORBIDDEN');
  });

  const entries = (from: number, count: number): AuditEntry[] =>
    Array.from({ length: count }, (_, i) => ({
      seq: from + count - 1 - i,
      id: `e${from + count - 1 - i}`,
      atMs: T0,
      event: 'dataExported' as const,
      actor: { kind: 'system' as const, id: 's' },
      detail: {},
    }));
  const record = (state: OrgState) =>
    run(state, { type: 'recordAudit', event: 'dataErased', actor: { kind: 'system', id: 's' }, detail: {} });

  it(`seals the current audit segment into an audit-segment actor once it passes ${AUDIT_SEGMENT_SIZE} entries`, () => {
    const base = founded();
    const state: OrgState = { ...base, audit: entries(1, AUDIT_SEGMENT_SIZE), nextAuditSeq: AUDIT_SEGMENT_SIZE + 1 };
    const result = record(state);
    expect(result.state.audit.map((e) => e.seq)).toEqual([AUDIT_SEGMENT_SIZE + 1]);
    expect(result.state.auditSegments).toEqual([1]);
    expect(result.state.nextAuditSegment).toBe(2);
    expect(result.effects).toEqual([
      {
        type: 'tell',
        to: { kind: 'audit-segment', id: `${ORG_ID}.1` },
        msg: { type: 'store', entries: entries(1, AUDIT_SEGMENT_SIZE) },
      },
    ]);
    // The page is not full from the current segment: the caller is told where to read on.
    expect(run(result.state, { type: 'listAudit', by: OWNER, limit: 10 }).reply).toMatchObject({
      ok: true,
      nextBefore: null,
      olderSegments: [1],
    });
    expect(run(result.state, { type: 'listAudit', by: OWNER, limit: 1 }).reply).toMatchObject({
      nextBefore: AUDIT_SEGMENT_SIZE + 1,
      olderSegments: [],
    });
  });

  it('upgrades a version-1 state of 10,000 entries into sealed segments on its first turn, purging beyond the retention', () => {
    const { auditSegments: _segments, nextAuditSegment: _next, ...v1 } = founded();
    const stored = { ...v1, audit: entries(1, 10_000), nextAuditSeq: 10_001 };
    const upgraded = orgActor.upgrade!(stored, 1);
    const first = record(upgraded);
    expect(first.state.audit.map((e) => e.seq)).toEqual([10_001]);
    expect(first.state.auditSegments).toHaveLength(AUDIT_SEGMENTS_KEPT);
    expect(first.state.auditSegments[0]).toBe(1);
    const stores = (first.effects ?? []).filter(
      (e) => e.type === 'tell' && (e.msg as { type: string }).type === 'store',
    );
    expect(stores).toHaveLength(10_000 / AUDIT_SEGMENT_SIZE);
    // Segment 1 holds the oldest entries.
    expect(stores[0]).toMatchObject({ to: { id: `${ORG_ID}.1` }, msg: { entries: entries(1, AUDIT_SEGMENT_SIZE) } });

    // One more full segment: the oldest sealed one is purged.
    const full: OrgState = { ...first.state, audit: entries(10_001, AUDIT_SEGMENT_SIZE), nextAuditSeq: 10_251 };
    const next = record(full);
    expect(next.state.auditSegments).toHaveLength(AUDIT_SEGMENTS_KEPT);
    expect(next.state.auditSegments[0]).toBe(2);
    expect(next.effects).toContainEqual({
      type: 'tell',
      to: { kind: 'audit-segment', id: `${ORG_ID}.1` },
      msg: { type: 'purge' },
    });
  });
});
