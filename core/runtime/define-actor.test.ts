import { describe, expect, it } from 'vitest';
import { defineActor, unreachable, type ActorDefinition, type TurnContext } from './define-actor.ts';

type CounterMsg = { type: 'increment'; by: number } | { type: 'reset' };

describe('unreachable', () => {
  it('throws, naming the value that slipped through', () => {
    const stray = { type: 'mystery', n: 1 } as unknown as never;
    expect(() => unreachable(stray)).toThrow(new Error('unreachable: {"type":"mystery","n":1}'));
  });

  it('names primitives too', () => {
    expect(() => unreachable('oops' as never)).toThrow('unreachable: "oops"');
    expect(() => unreachable(undefined as never)).toThrow('unreachable: undefined');
  });

  it('ends an exhaustive switch', () => {
    const describeMsg = (msg: CounterMsg): string => {
      switch (msg.type) {
        case 'increment':
          return `+${msg.by}`;
        case 'reset':
          return 'reset';
        default:
          return unreachable(msg);
      }
    };
    expect(describeMsg({ type: 'reset' })).toBe('reset');
    expect(() => describeMsg({ type: 'decrement' } as unknown as CounterMsg)).toThrow(
      'unreachable: {"type":"decrement"}',
    );
  });
});

describe('defineActor', () => {
  it('returns the very definition it was given', () => {
    const definition: ActorDefinition<{ n: number }, CounterMsg> = {
      kind: 'counter',
      stateVersion: 1,
      initialState: () => ({ n: 0 }),
      handle: (state, msg) => (msg.type === 'increment' ? { state: { n: state.n + msg.by } } : { state: { n: 0 } }),
    };
    expect(defineActor(definition)).toBe(definition);
  });

  it('infers state and message types from the definition object', () => {
    const counter = defineActor({
      kind: 'counter',
      stateVersion: 1,
      initialState: (_id: string) => ({ n: 0 }),
      handle: (state: { n: number }, msg: CounterMsg, _ctx: TurnContext) =>
        msg.type === 'increment' ? { state: { n: state.n + msg.by } } : { state: { n: 0 } },
    });
    const ctx: TurnContext = { self: { kind: 'counter', id: 'c1' }, nowMs: 0, msgId: undefined, newId: () => 'id-1' };
    expect(counter.handle(counter.initialState('c1'), { type: 'increment', by: 2 }, ctx)).toEqual({ state: { n: 2 } });
  });
});
