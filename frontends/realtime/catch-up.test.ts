import { describe, expect, it } from 'vitest';
import type { InboxEntry } from '../../actors/inbox/inbox-stream.messages.ts';
import { CatchUpBuffer, backlogToSend, wantedBy } from './catch-up.ts';
import type { ActiveSubscription } from './subscriptions.ts';

/** Entry `seq` of number `n` (conversation `n.p1555000000<seq % 2>`). */
function entry(seq: number, phoneNumberId = '1001'): InboxEntry {
  return {
    seq,
    atMs: seq * 1_000,
    event: {
      type: 'assignment',
      conversationId: `${phoneNumberId}.p1555000000${seq % 2}`,
      phoneNumberId,
      customer: { phone: null, userId: null, profileName: null },
      assignee: null,
      lock: null,
    },
  };
}

const seqs = (entries: readonly InboxEntry[]) => entries.map((e) => e.seq);

describe('backlogToSend', () => {
  const onOrg = (fromSeq: number): ActiveSubscription => ({ scope: 'org', id: 'org1', fromSeq });
  const onNumber = (id: string, fromSeq: number): ActiveSubscription => ({ scope: 'number', id, fromSeq });

  it('a first subscription replays everything it matches after since', () => {
    const page = [entry(4), entry(5, '1002'), entry(6), entry(7)];
    expect(seqs(backlogToSend(page, onNumber('1001', 3), [], 7))).toEqual([4, 6, 7]);
    expect(seqs(backlogToSend(page, onOrg(5), [], 7))).toEqual([6, 7]);
  });

  it('skips what another subscription of the socket delivered live, not what it did not', () => {
    // The socket follows number 1002 live since seq 2 and is at seq 7; it adds the organisation since 0.
    const page = [entry(1, '1002'), entry(2), entry(3, '1002'), entry(4), entry(7, '1002')];
    expect(seqs(backlogToSend(page, onOrg(0), [onNumber('1002', 2)], 7))).toEqual([1, 2, 4]);
  });

  it('above where the socket was live, sends what any subscription wants (live delivery waited)', () => {
    const page = [entry(8, '1002'), entry(9, '1003'), entry(10)];
    expect(seqs(backlogToSend(page, onNumber('1001', 0), [onNumber('1002', 2)], 7))).toEqual([8, 10]);
  });

  it('wantedBy respects where each subscription began', () => {
    expect(wantedBy([onNumber('1001', 5)], entry(5))).toBe(false);
    expect(wantedBy([onNumber('1001', 5)], entry(6))).toBe(true);
    expect(wantedBy([onNumber('1002', 0)], entry(6))).toBe(false);
  });
});

describe('CatchUpBuffer', () => {
  it('keeps each live seq once, in order, and flushes those above what the backlog sent', () => {
    const buffer = new CatchUpBuffer(10, 100);
    expect(buffer.offer(entry(9))).toBe('duplicate');
    expect(buffer.offer(entry(11))).toBe('buffered');
    expect(buffer.offer(entry(11))).toBe('duplicate');
    expect(buffer.offer(entry(12, '1002'))).toBe('buffered');
    expect(buffer.offer(entry(13))).toBe('buffered');
    expect(buffer.offer(entry(14))).toBe('buffered');
    expect(buffer.size).toBe(4);
    // The backlog went up to 12: 13 and 14 follow; 12 (another number) is not wanted anyway.
    expect(seqs(buffer.flush(12, [{ scope: 'number', id: '1001', fromSeq: 0 }]))).toEqual([13, 14]);
    expect(seqs(buffer.flush(10, [{ scope: 'org', id: 'org1', fromSeq: 0 }]))).toEqual([11, 12, 13, 14]);
    expect(seqs(buffer.flush(10, []))).toEqual([]);
  });

  it('is bounded: an entry beyond its capacity is an overflow', () => {
    const buffer = new CatchUpBuffer(0, 2);
    expect(buffer.offer(entry(1))).toBe('buffered');
    expect(buffer.offer(entry(2))).toBe('buffered');
    expect(buffer.offer(entry(3))).toBe('overflow');
    expect(buffer.size).toBe(2);
  });
});
