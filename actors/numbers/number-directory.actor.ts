import { defineActor, refusal, unreachable } from '../../core/index.ts';

/**
 * The installation-wide directory of phone numbers (one actor per phone-number id): which organisation a number is
 * connected to. It makes "a number belongs to one organisation at a time" hold across organisations and nodes, and
 * lets the channel edge find a number's organisation from Meta's phone-number id.
 */
export const NUMBER_DIRECTORY_KIND = 'number-directory';

export interface NumberDirectoryState {
  readonly orgId: string | null;
  readonly wabaId: string | null;
  readonly claimedAtMs: number | null;
}

export type NumberDirectoryMsg =
  | { readonly type: 'claim'; readonly orgId: string; readonly wabaId: string }
  | { readonly type: 'release'; readonly orgId: string }
  | { readonly type: 'lookup' };

export interface NumberDirectoryReplies {
  claim: { ok: true; alreadyOurs: boolean } | { ok: false; code: 'PARLO_NUMBER_TAKEN'; message: string };
  release: { ok: true; released: boolean };
  lookup: { ok: true; orgId: string | null; wabaId: string | null };
}

export type NumberDirectoryReply<T extends NumberDirectoryMsg['type']> = NumberDirectoryReplies[T];

const EMPTY: NumberDirectoryState = { orgId: null, wabaId: null, claimedAtMs: null };

export const numberDirectoryActor = defineActor<NumberDirectoryState, NumberDirectoryMsg>({
  kind: NUMBER_DIRECTORY_KIND,
  stateVersion: 1,
  initialState: () => EMPTY,
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'claim': {
        if (state.orgId === msg.orgId) {
          const reply: NumberDirectoryReplies['claim'] = { ok: true, alreadyOurs: true };
          return state.wabaId === msg.wabaId ? { state, reply } : { state: { ...state, wabaId: msg.wabaId }, reply };
        }
        if (state.orgId !== null) {
          return {
            state,
            reply: refusal(
              'PARLO_NUMBER_TAKEN',
              `phone number ${ctx.self.id} is connected to another organisation; disconnect it there first`,
            ),
          };
        }
        const reply: NumberDirectoryReplies['claim'] = { ok: true, alreadyOurs: false };
        return { state: { orgId: msg.orgId, wabaId: msg.wabaId, claimedAtMs: ctx.nowMs }, reply };
      }
      case 'release': {
        // Only the owner releases: a stale release from an organisation that lost the number changes nothing.
        if (state.orgId !== msg.orgId) return { state, reply: { ok: true, released: false } };
        return { state: EMPTY, reply: { ok: true, released: true } };
      }
      case 'lookup':
        return { state, reply: { ok: true, orgId: state.orgId, wabaId: state.wabaId } };
      default:
        return unreachable(msg);
    }
  },
});
