import { defineActor, unreachable, type Effect } from '../../runtime/define-actor.ts';

/** A test actor: counts increments, can forward, set timers and call a port. Used by runtime tests and the crash test. */
export interface CounterState {
  readonly total: number;
  readonly increments: number;
  readonly timerFirings: number;
  readonly portResults: readonly unknown[];
  readonly answers?: readonly unknown[];
}

export type CounterMsg =
  | { readonly type: 'increment'; readonly by: number }
  | { readonly type: 'get' }
  | { readonly type: 'forward'; readonly to: string; readonly by: number }
  | { readonly type: 'remindIn'; readonly name: string; readonly afterMs: number; readonly by: number }
  | { readonly type: 'cancelReminder'; readonly name: string }
  | { readonly type: 'reminderFired'; readonly name: string; readonly by: number }
  | { readonly type: 'callEcho'; readonly value: string }
  | { readonly type: 'echoCompleted'; readonly callId: string; readonly result: unknown }
  | { readonly type: 'announce'; readonly topic: string; readonly transient?: boolean }
  | { readonly type: 'bumpOther'; readonly other: string; readonly makeItFail?: boolean }
  | { readonly type: 'otherBumped'; readonly callId: string; readonly reply: unknown }
  | { readonly type: 'explode' };

export const counterActor = defineActor<CounterState, CounterMsg>({
  kind: 'counter',
  stateVersion: 1,
  initialState: () => ({ total: 0, increments: 0, timerFirings: 0, portResults: [] }),
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'increment':
        return {
          state: { ...state, total: state.total + msg.by, increments: state.increments + 1 },
          reply: state.total + msg.by,
        };
      case 'get':
        return { state, reply: state };
      case 'forward': {
        const effects: Effect[] = [
          { type: 'tell', to: { kind: 'counter', id: msg.to }, msg: { type: 'increment', by: msg.by } },
        ];
        return { state, effects, reply: 'forwarded' };
      }
      case 'remindIn':
        return {
          state,
          effects: [
            {
              type: 'setTimer',
              name: msg.name,
              dueAtMs: ctx.nowMs + msg.afterMs,
              msg: { type: 'reminderFired', name: msg.name, by: msg.by },
            },
          ],
          reply: ctx.nowMs + msg.afterMs,
        };
      case 'cancelReminder':
        return { state, effects: [{ type: 'cancelTimer', name: msg.name }] };
      case 'reminderFired':
        return { state: { ...state, total: state.total + msg.by, timerFirings: state.timerFirings + 1 } };
      case 'callEcho':
        return {
          state,
          effects: [
            {
              type: 'callPort',
              port: 'echo',
              operation: 'shout',
              input: msg.value,
              resultType: 'echoCompleted',
              callId: ctx.newId(),
            },
          ],
        };
      case 'echoCompleted':
        return { state: { ...state, portResults: [...state.portResults, msg.result] } };
      case 'announce':
        return {
          state,
          effects: [
            {
              type: 'publish',
              topic: msg.topic,
              event: { total: state.total },
              ...(msg.transient === undefined ? {} : { transient: msg.transient }),
            },
          ],
        };
      case 'bumpOther':
        return {
          state,
          effects: [
            {
              type: 'ask',
              to: { kind: 'counter', id: msg.other },
              msg: msg.makeItFail ? { type: 'explode' } : { type: 'increment', by: 1 },
              replyType: 'otherBumped',
              callId: ctx.newId(),
            },
          ],
        };
      case 'otherBumped':
        return { state: { ...state, answers: [...(state.answers ?? []), msg.reply] } };
      case 'explode':
        throw new Error('boom');
      default:
        return unreachable(msg);
    }
  },
});
