import { describe, expect, it } from 'vitest';
import { Mailbox } from './mailbox.ts';

describe('Mailbox', () => {
  it('keeps FIFO order across compaction', () => {
    const box = new Mailbox<number>(5000);
    for (let i = 0; i < 3000; i++) expect(box.push(i)).toBe(true);
    const out: number[] = [];
    for (let i = 0; i < 2500; i++) out.push(box.shift()!);
    for (let i = 3000; i < 4000; i++) box.push(i);
    let next: number | undefined;
    while ((next = box.shift()) !== undefined) out.push(next);
    expect(out).toEqual(Array.from({ length: 4000 }, (_, i) => i));
  });

  it('refuses pushes beyond capacity and wakes waiting producers one at a time, in order', async () => {
    const box = new Mailbox<string>(2);
    expect(box.push('a')).toBe(true);
    expect(box.push('b')).toBe(true);
    expect(box.push('c')).toBe(false);
    expect(box.isFull).toBe(true);
    const woken: string[] = [];
    const first = box.whenSpace().then(() => woken.push('first'));
    const second = box.whenSpace().then(() => woken.push('second'));
    expect(box.waitingProducers).toBe(2);
    box.shift();
    await first;
    expect(woken).toEqual(['first']);
    box.push('c');
    box.shift();
    await second;
    expect(woken).toEqual(['first', 'second']);
  });

  it('accepts replayed items over capacity', () => {
    const box = new Mailbox<number>(1);
    box.push(1);
    box.pushOverCapacity(2);
    expect(box.length).toBe(2);
  });
});
