import { describe, expect, it } from 'vitest';
import { FakeClock, settle } from './fake-clock.ts';

const T0 = 1_000_000;

describe('FakeClock', () => {
  it('starts at 2026-01-01T00:00:00Z unless given a start', () => {
    expect(new FakeClock().now()).toBe(Date.UTC(2026, 0, 1));
    expect(new FakeClock(T0).now()).toBe(T0);
  });

  it('moves only when advanced, and lands exactly on the target', async () => {
    const clock = new FakeClock(T0);
    expect(clock.now()).toBe(T0);
    await clock.advance(250);
    expect(clock.now()).toBe(T0 + 250);
    await clock.advanceTo(T0 + 1_000);
    expect(clock.now()).toBe(T0 + 1_000);
  });

  it('never moves backwards', async () => {
    const clock = new FakeClock(T0);
    await clock.advanceTo(T0 - 500);
    expect(clock.now()).toBe(T0);
  });

  it('fires wake-ups in due order, ties in registration order, each at its due time', async () => {
    const clock = new FakeClock(T0);
    const fired: [string, number][] = [];
    const record = (label: string) => () => fired.push([label, clock.now()]);
    clock.wakeAt(T0 + 30, record('c@30'));
    clock.wakeAt(T0 + 10, record('a@10'));
    clock.wakeAt(T0 + 20, record('b@20'));
    clock.wakeAt(T0 + 10, record('a2@10'));
    clock.wakeAt(T0 + 31, record('late@31'));

    await clock.advance(30);

    expect(fired).toEqual([
      ['a@10', T0 + 10],
      ['a2@10', T0 + 10],
      ['b@20', T0 + 20],
      ['c@30', T0 + 30],
    ]);
    expect(clock.now()).toBe(T0 + 30);
    expect(clock.pendingCount()).toBe(1);

    await clock.advance(1);
    expect(fired.at(-1)).toEqual(['late@31', T0 + 31]);
    expect(clock.pendingCount()).toBe(0);
  });

  it('fires each wake-up once', async () => {
    const clock = new FakeClock(T0);
    let calls = 0;
    clock.wakeAt(T0 + 5, () => calls++);
    await clock.advance(10);
    await clock.advance(10);
    expect(calls).toBe(1);
  });

  it('does not fire a cancelled wake-up', async () => {
    const clock = new FakeClock(T0);
    const fired: string[] = [];
    const cancelA = clock.wakeAt(T0 + 10, () => fired.push('a'));
    clock.wakeAt(T0 + 20, () => fired.push('b'));
    expect(clock.pendingCount()).toBe(2);

    cancelA();
    cancelA(); // cancelling twice is harmless
    expect(clock.pendingCount()).toBe(1);

    await clock.advance(100);
    expect(fired).toEqual(['b']);
    expect(clock.pendingCount()).toBe(0);
  });

  it('honours a cancel made by an earlier wake-up of the same advance', async () => {
    const clock = new FakeClock(T0);
    const fired: string[] = [];
    const cancelLater = clock.wakeAt(T0 + 20, () => fired.push('later'));
    clock.wakeAt(T0 + 10, () => {
      fired.push('first');
      cancelLater();
    });
    await clock.advance(30);
    expect(fired).toEqual(['first']);
  });

  it('cancelling after the wake-up fired changes nothing', async () => {
    const clock = new FakeClock(T0);
    const cancel = clock.wakeAt(T0 + 1, () => undefined);
    await clock.advance(1);
    cancel();
    expect(clock.pendingCount()).toBe(0);
    expect(clock.now()).toBe(T0 + 1);
  });

  it('fires, within the same advance, a wake-up scheduled by a callback for a time ≤ the target', async () => {
    const clock = new FakeClock(T0);
    const fired: [string, number][] = [];
    clock.wakeAt(T0 + 10, () => {
      fired.push(['outer', clock.now()]);
      clock.wakeAt(T0 + 15, () => fired.push(['inner', clock.now()]));
      clock.wakeAt(T0 + 100, () => fired.push(['beyond', clock.now()]));
    });
    clock.wakeAt(T0 + 20, () => fired.push(['next', clock.now()]));

    await clock.advance(50);

    expect(fired).toEqual([
      ['outer', T0 + 10],
      ['inner', T0 + 15],
      ['next', T0 + 20],
    ]);
    expect(clock.pendingCount()).toBe(1);
  });

  it('fires a wake-up a callback schedules for its own time right after it, without moving time', async () => {
    const clock = new FakeClock(T0);
    const fired: [string, number][] = [];
    clock.wakeAt(T0 + 10, () => {
      fired.push(['outer', clock.now()]);
      clock.wakeAt(T0 + 10, () => fired.push(['same-time', clock.now()]));
      clock.wakeAt(T0 + 5, () => fired.push(['in-the-past', clock.now()]));
    });
    await clock.advance(10);
    expect(fired).toEqual([
      ['outer', T0 + 10],
      ['in-the-past', T0 + 10],
      ['same-time', T0 + 10],
    ]);
  });

  it('lets promise continuations started by a wake-up schedule more wake-ups in the same advance', async () => {
    const clock = new FakeClock(T0);
    const fired: [string, number][] = [];
    clock.wakeAt(T0 + 10, () => {
      void (async () => {
        await Promise.resolve();
        await Promise.resolve();
        clock.wakeAt(T0 + 12, () => fired.push(['from-continuation', clock.now()]));
      })();
    });
    await clock.advance(20);
    expect(fired).toEqual([['from-continuation', T0 + 12]]);
    expect(clock.now()).toBe(T0 + 20);
  });

  it('fires a wake-up already due on its own turn, at the current time, without an advance', async () => {
    const clock = new FakeClock(T0);
    const fired: number[] = [];
    clock.wakeAt(T0 - 100, () => fired.push(clock.now()));
    expect(fired).toEqual([]);
    await settle(1);
    expect(fired).toEqual([T0]);
    expect(clock.pendingCount()).toBe(0);
    await clock.advance(10);
    expect(fired).toEqual([T0]);
  });

  it('does not fire an already-due wake-up that was cancelled first', async () => {
    const clock = new FakeClock(T0);
    const fired: number[] = [];
    const cancel = clock.wakeAt(T0, () => fired.push(clock.now()));
    cancel();
    await settle();
    await clock.advance(10);
    expect(fired).toEqual([]);
  });

  it('fires a wake-up due exactly at the target', async () => {
    const clock = new FakeClock(T0);
    let firedAt: number | undefined;
    clock.wakeAt(T0 + 7, () => (firedAt = clock.now()));
    await clock.advanceTo(T0 + 7);
    expect(firedAt).toBe(T0 + 7);
  });
});
