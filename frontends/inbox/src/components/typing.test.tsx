import { fireEvent, screen, within } from '@solidjs/testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FakeSocket } from '../../testing/fake-socket.ts';
import { ANA, ME, NUMBER, message, summary, view } from '../../testing/fixtures.ts';
import { renderApp } from '../../testing/render-app.tsx';

const PHONE = '393331234567';
const ID = `${NUMBER}.p${PHONE}`;
const PATH = `/conversations/${encodeURIComponent(ID)}`;

afterEach(() => {
  vi.useRealTimers();
});

/** The open conversation over a live socket; the timers are fake from here on (Date included). */
async function liveConversation() {
  const app = renderApp({
    path: PATH,
    routes: {
      'GET /v1/conversations': {
        body: { data: [summary(PHONE, 'Giulia', '2026-11-20T11:00:00.000Z')], nextCursor: null },
      },
      [`GET /v1/conversations/${ID}`]: { body: view(ID, [message({ direction: 'in' })]) },
    },
  });
  const reply = await screen.findByRole<HTMLTextAreaElement>('combobox', { name: 'Reply' });
  await screen.findByRole('link', { name: /Giulia/ });
  const socket = await app.connect(10);
  await screen.findByText('Live');
  vi.useFakeTimers();
  return { ...app, socket, reply };
}

function typingFrame(userId: string, inMs: number) {
  return {
    type: 'typing' as const,
    conversationId: ID,
    phoneNumberId: NUMBER,
    userId,
    expiresAt: new Date(Date.now() + inMs).toISOString(),
  };
}

async function receive(socket: FakeSocket, frame: Parameters<FakeSocket['receive']>[0]) {
  socket.receive(frame);
  await vi.advanceTimersByTimeAsync(0);
}

const row = () => screen.getByRole('link', { name: /Giulia/ });

describe('typing', () => {
  it('sends typing frames while the operator types a reply, at most once every 3 s, never for an empty box', async () => {
    const { socket, reply } = await liveConversation();
    const typing = () => socket.sentOfType('typing');
    fireEvent.input(reply, { target: { value: 'H' } });
    expect(typing()).toEqual([{ type: 'typing', conversationId: ID }]);
    vi.advanceTimersByTime(1_000);
    fireEvent.input(reply, { target: { value: 'Hi' } });
    vi.advanceTimersByTime(1_999);
    fireEvent.input(reply, { target: { value: 'Hi ' } });
    expect(typing()).toHaveLength(1);
    vi.advanceTimersByTime(1);
    fireEvent.input(reply, { target: { value: 'Hi G' } });
    expect(typing()).toHaveLength(2);
    vi.advanceTimersByTime(5_000);
    fireEvent.input(reply, { target: { value: '' } });
    fireEvent.input(reply, { target: { value: '   ' } });
    expect(typing()).toHaveLength(2);
  });

  it('shows who is typing until expiresAt, in a polite live region and on the list row, ignoring oneself', async () => {
    const { socket } = await liveConversation();
    const indicator = document.querySelector('.typing-indicator');
    expect(indicator?.getAttribute('aria-live')).toBe('polite');

    await receive(socket, typingFrame(ME, 5_000));
    expect(indicator?.textContent).toBe('');
    expect(within(row()).queryByText('Typing…')).toBeNull();

    await receive(socket, typingFrame(ANA, 5_000));
    expect(indicator?.textContent).toBe('Ana Rossi is typing…');
    expect(within(row()).getByText('Typing…')).toBeTruthy();

    await vi.advanceTimersByTimeAsync(4_999);
    expect(indicator?.textContent).toBe('Ana Rossi is typing…');
    await vi.advanceTimersByTimeAsync(1);
    expect(indicator?.textContent).toBe('');
    expect(within(row()).queryByText('Typing…')).toBeNull();
  });

  it('extends the notice with each frame and ends it when a reply arrives in the conversation', async () => {
    const { socket } = await liveConversation();
    const indicator = () => document.querySelector('.typing-indicator')?.textContent;
    await receive(socket, typingFrame(ANA, 5_000));
    await vi.advanceTimersByTimeAsync(3_000);
    await receive(socket, typingFrame(ANA, 5_000));
    await vi.advanceTimersByTimeAsync(4_000);
    expect(indicator()).toBe('Ana Rossi is typing…');

    await receive(socket, {
      type: 'event',
      seq: 11,
      at: new Date().toISOString(),
      event: {
        type: 'message',
        conversationId: ID,
        phoneNumberId: NUMBER,
        customer: { phone: PHONE, userId: null, profileName: 'Giulia' },
        message: message({ direction: 'out', at: new Date().toISOString() }),
      },
    });
    expect(indicator()).toBe('');
  });
});
