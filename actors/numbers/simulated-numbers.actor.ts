import { defineActor, unreachable } from '../../core/index.ts';

/**
 * The numbers organisations created in the bundled Cloud API simulator (one actor, id `installation`). The
 * simulator keeps its state in memory; at start-up the channel edge registers these numbers with it again, so a
 * simulated number keeps working across restarts like a real one.
 */
export const SIMULATED_NUMBERS_KIND = 'simulated-numbers';
export const SIMULATED_NUMBERS_ID = 'installation';

export interface SimulatedNumber {
  readonly orgId: string;
  readonly wabaId: string;
  readonly phoneNumberId: string;
}

export interface SimulatedNumbersState {
  readonly numbers: Readonly<Record<string, SimulatedNumber>>;
}

export type SimulatedNumbersMsg =
  | ({ readonly type: 'remember' } & SimulatedNumber)
  | { readonly type: 'forget'; readonly phoneNumberId: string }
  | { readonly type: 'list' };

export interface SimulatedNumbersReplies {
  remember: { ok: true };
  forget: { ok: true };
  list: { ok: true; numbers: readonly SimulatedNumber[] };
}

export const simulatedNumbersActor = defineActor<SimulatedNumbersState, SimulatedNumbersMsg>({
  kind: SIMULATED_NUMBERS_KIND,
  stateVersion: 1,
  initialState: () => ({ numbers: {} }),
  handle(state, msg) {
    switch (msg.type) {
      case 'remember': {
        const entry: SimulatedNumber = { orgId: msg.orgId, wabaId: msg.wabaId, phoneNumberId: msg.phoneNumberId };
        return { state: { numbers: { ...state.numbers, [msg.phoneNumberId]: entry } }, reply: { ok: true } };
      }
      case 'forget': {
        if (!Object.hasOwn(state.numbers, msg.phoneNumberId)) return { state, reply: { ok: true } };
        const numbers = { ...state.numbers };
        delete numbers[msg.phoneNumberId];
        return { state: { numbers }, reply: { ok: true } };
      }
      case 'list':
        return { state, reply: { ok: true, numbers: Object.values(state.numbers) } };
      default:
        return unreachable(msg);
    }
  },
});
