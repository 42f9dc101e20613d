import { defineActor, refusal, unreachable, type Address, type Refusal } from '../../core/index.ts';
import type { AuditActor } from '../org/org.messages.ts';

/**
 * The saved segments of one organisation (id = org id): named contact filters (contact-filter.ts) that listings
 * and campaign audiences refer to. A segment stores its filter as the API received it (so it reads back as
 * written) and is evaluated when used, against the contact index: it is a query, not a frozen list (a campaign
 * snapshots its audience at launch).
 */
export const SEGMENTS_KIND = 'segments';
export const MAX_SEGMENTS = 200;
export const MAX_SEGMENT_NAME = 100;

export function segmentsAddress(orgId: string): Address {
  return { kind: SEGMENTS_KIND, id: orgId };
}

export interface Segment {
  readonly id: string;
  readonly name: string;
  /** The filter as given to the API (`ContactFilterSchema`). */
  readonly filter: unknown;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly createdBy: AuditActor;
}

export interface SegmentsState {
  readonly segments: readonly Segment[];
  readonly nextSeq: number;
}

export type SegmentsMsg =
  | { readonly type: 'createSegment'; readonly name: string; readonly filter: unknown; readonly by: AuditActor }
  | { readonly type: 'updateSegment'; readonly id: string; readonly name: string; readonly filter: unknown }
  | { readonly type: 'deleteSegment'; readonly id: string }
  | { readonly type: 'getSegment'; readonly id: string }
  | { readonly type: 'listSegments' };

export interface SegmentsReplies {
  createSegment: { ok: true; segment: Segment } | Refusal;
  updateSegment: { ok: true; segment: Segment } | Refusal;
  deleteSegment: { ok: true } | Refusal;
  getSegment: { ok: true; segment: Segment } | Refusal;
  listSegments: { ok: true; segments: readonly Segment[] };
}

const EMPTY: SegmentsState = { segments: [], nextSeq: 1 };

export const segmentsActor = defineActor<SegmentsState, SegmentsMsg>({
  kind: SEGMENTS_KIND,
  stateVersion: 1,
  initialState: () => EMPTY,
  isEmpty: (state) => state.segments.length === 0 && state.nextSeq === 1,
  handle(state, msg, ctx) {
    const notFound = (id: string) => refusal('PARLO_SEGMENT_NOT_FOUND', `no segment ${id} in this organisation`);
    const nameTaken = (name: string, except?: string) =>
      state.segments.some((s) => s.id !== except && s.name.toLowerCase() === name.toLowerCase());
    switch (msg.type) {
      case 'createSegment': {
        if (state.segments.length >= MAX_SEGMENTS) {
          return {
            state,
            reply: refusal('PARLO_SEGMENT_LIMIT', `an organisation keeps at most ${MAX_SEGMENTS} segments`),
          };
        }
        if (nameTaken(msg.name)) {
          return { state, reply: refusal('PARLO_SEGMENT_NAME_TAKEN', `a segment is already named "${msg.name}"`) };
        }
        const segment: Segment = {
          // Unique across organisations (an id of another organisation's segment names nothing here).
          id: `seg_${ctx.newId()}`,
          name: msg.name,
          filter: msg.filter,
          createdAtMs: ctx.nowMs,
          updatedAtMs: ctx.nowMs,
          createdBy: msg.by,
        };
        return {
          state: { segments: [...state.segments, segment], nextSeq: state.nextSeq + 1 },
          reply: { ok: true, segment } satisfies SegmentsReplies['createSegment'],
        };
      }
      case 'updateSegment': {
        const held = state.segments.find((s) => s.id === msg.id);
        if (!held) return { state, reply: notFound(msg.id) };
        if (nameTaken(msg.name, msg.id)) {
          return { state, reply: refusal('PARLO_SEGMENT_NAME_TAKEN', `a segment is already named "${msg.name}"`) };
        }
        const segment: Segment = { ...held, name: msg.name, filter: msg.filter, updatedAtMs: ctx.nowMs };
        return {
          state: { ...state, segments: state.segments.map((s) => (s === held ? segment : s)) },
          reply: { ok: true, segment } satisfies SegmentsReplies['updateSegment'],
        };
      }
      case 'deleteSegment': {
        if (!state.segments.some((s) => s.id === msg.id)) return { state, reply: notFound(msg.id) };
        return { state: { ...state, segments: state.segments.filter((s) => s.id !== msg.id) }, reply: { ok: true } };
      }
      case 'getSegment': {
        const segment = state.segments.find((s) => s.id === msg.id);
        return { state, reply: segment ? { ok: true, segment } : notFound(msg.id) };
      }
      case 'listSegments':
        return { state, reply: { ok: true, segments: state.segments } satisfies SegmentsReplies['listSegments'] };
      default:
        return unreachable(msg);
    }
  },
});
