import type { BusinessProfile, NumberFacts, NumberMode, WabaConnection } from './numbers.messages.ts';

export interface ConnectedNumber extends NumberFacts {
  readonly wabaId: string;
  readonly displayName: string | null;
  readonly businessProfile: BusinessProfile;
  readonly connectedAtMs: number;
  readonly updatedAtMs: number;
}

export interface ConnectedWaba extends WabaConnection {
  readonly connectedAtMs: number;
  readonly updatedAtMs: number;
}

/**
 * One organisation's WhatsApp connections. Maps are keyed by ids from outside: read them with `own()` (a key such
 * as `constructor` must not find the prototype's). A WABA record lives as long as one of its numbers is connected.
 */
export interface OrgNumbersState {
  readonly webhookVerifyToken: string | null;
  readonly wabas: Readonly<Record<string, ConnectedWaba>>;
  readonly numbers: Readonly<Record<string, ConnectedNumber>>;
}

export function initialOrgNumbersState(): OrgNumbersState {
  return { webhookVerifyToken: null, wabas: {}, numbers: {} };
}

export function numbersOfWaba(state: OrgNumbersState, wabaId: string): string[] {
  return Object.values(state.numbers)
    .filter((n) => n.wabaId === wabaId)
    .map((n) => n.phoneNumberId)
    .sort();
}

export function modeOf(state: OrgNumbersState, wabaId: string): NumberMode | undefined {
  return Object.hasOwn(state.wabas, wabaId) ? state.wabas[wabaId]!.mode : undefined;
}
