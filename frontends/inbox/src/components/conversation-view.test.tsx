import { fireEvent, screen, waitFor, within } from '@solidjs/testing-library';
import { describe, expect, it } from 'vitest';
import { apiError } from '../../testing/fake-api.ts';
import { ANA, ME, NUMBER, closedWindow, message, template, view } from '../../testing/fixtures.ts';
import { renderApp } from '../../testing/render-app.tsx';

const ID = `${NUMBER}.p393331234567`;
const PATH = `/conversations/${encodeURIComponent(ID)}`;

function lockedBy(holder: string) {
  const now = Date.now();
  return {
    holder,
    since: new Date(now - 60_000).toISOString(),
    expiresAt: new Date(now + 10 * 60_000).toISOString(),
  };
}

describe('the conversation view', () => {
  it('shows each outbound message’s status tick, a failure’s reason, and the time left in the window', async () => {
    const messages = [
      message({ direction: 'in', content: { body: 'Hi, where is my order?' } }),
      message({ direction: 'out', state: 'queued', status: null }),
      message({ direction: 'out', state: 'accepted', status: 'sent' }),
      message({ direction: 'out', state: 'accepted', status: 'delivered' }),
      message({ direction: 'out', state: 'accepted', status: 'read' }),
      message({
        direction: 'out',
        state: 'failed',
        status: 'failed',
        error: { code: 131047, detail: 'Re-engagement message: more than 24 hours have passed' },
      }),
    ];
    renderApp({ path: PATH, routes: { [`GET /v1/conversations/${ID}`]: { body: view(ID, messages) } } });
    const log = await screen.findByRole('list', { name: 'Messages' });
    expect(within(log).getByText('Hi, where is my order?')).toBeTruthy();
    const ticks = within(log)
      .getAllByRole('img')
      .map((tick) => tick.getAttribute('aria-label'));
    expect(ticks).toEqual([
      'Pending',
      'Sent',
      'Delivered',
      'Read',
      'Failed: Re-engagement message: more than 24 hours have passed',
    ]);
    expect(within(log).getAllByRole('img')[3]?.className).toContain('tick-read');
    expect(screen.getByText('Free-form replies for 3 h 12 min more')).toBeTruthy();
    expect(screen.getByLabelText('Reply')).toBeTruthy();
  });

  it('replaces the composer by the template picker when the window is closed, and sends a filled template', async () => {
    const { api } = renderApp({
      signedIn: 'manager',
      path: PATH,
      routes: {
        [`GET /v1/conversations/${ID}`]: { body: view(ID, [message({ direction: 'in' })], { window: closedWindow }) },
        'GET /v1/templates': { body: { templates: [template()], total: 1, nextCursor: null } },
        'POST /v1/messages': { status: 202, body: { messageId: 'msg_x', conversationId: ID, state: 'queued' } },
      },
    });
    expect(await screen.findByText('The 24 h window is closed: only a template can be sent.')).toBeTruthy();
    expect(screen.queryByRole('combobox', { name: 'Reply' })).toBeNull();
    const picker = await screen.findByLabelText('Template');
    expect(api.callsTo('GET /v1/templates')[0]?.query.get('status')).toBe('APPROVED');
    fireEvent.change(picker, { target: { value: '7000000001' } });
    fireEvent.input(await screen.findByLabelText('Value for {{1}}'), { target: { value: 'Giulia' } });
    fireEvent.input(screen.getByLabelText('Value for {{2}}'), { target: { value: 'A-1001' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send template' }));
    await waitFor(() => expect(api.callsTo('POST /v1/messages')).toHaveLength(1));
    const sent = api.callsTo('POST /v1/messages')[0];
    expect(sent?.body).toEqual({
      from: NUMBER,
      to: '+393331234567',
      category: 'utility',
      content: {
        type: 'template',
        template: {
          name: 'order_shipped',
          language: { code: 'en' },
          components: [
            {
              type: 'body',
              parameters: [
                { type: 'text', text: 'Giulia' },
                { type: 'text', text: 'A-1001' },
              ],
            },
          ],
        },
      },
    });
    expect(sent?.headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('shows who holds the lock, disables the composer and offers a manager to take over', async () => {
    const taken = { assignee: ME, lock: lockedBy(ME), status: 'open', snoozedUntil: null };
    const { api } = renderApp({
      signedIn: 'manager',
      path: PATH,
      routes: {
        [`GET /v1/conversations/${ID}`]: {
          body: view(ID, [message({ direction: 'in' })], { assignee: ANA, lock: lockedBy(ANA), status: 'open' }),
        },
        [`POST /v1/conversations/${ID}/takeover`]: { body: taken },
      },
    });
    expect(await screen.findByText('Ana Rossi is replying')).toBeTruthy();
    const reply = screen.getByLabelText<HTMLTextAreaElement>('Reply');
    expect(reply.disabled).toBe(true);
    expect(screen.getByText('Ana Rossi holds this conversation: you cannot reply now.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Take over' }));
    await waitFor(() => expect(reply.disabled).toBe(false));
    expect(api.callsTo(`POST /v1/conversations/${ID}/takeover`)).toHaveLength(1);
    expect(screen.getByText('You are replying (others cannot)')).toBeTruthy();
    expect(screen.queryByText('Ana Rossi is replying')).toBeNull();
  });

  it('offers no take-over to an operator, follows lock events, and shows the API’s refusal', async () => {
    const { sockets } = renderApp({
      path: PATH,
      routes: {
        [`GET /v1/conversations/${ID}`]: { body: view(ID, [message({ direction: 'in' })]) },
        'POST /v1/messages': apiError(
          409,
          'PARLO_CONVERSATION_LOCKED',
          `${ANA} holds this conversation since 2026-11-20T10:00:00.000Z; they reply until they release it`,
        ),
      },
    });
    const reply = await screen.findByLabelText<HTMLTextAreaElement>('Reply');
    fireEvent.input(reply, { target: { value: 'On its way!' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    // The API names the holder by user id; the inbox shows their name.
    expect(
      await screen.findByText(
        'Ana Rossi holds this conversation since 2026-11-20T10:00:00.000Z; they reply until they release it',
      ),
    ).toBeTruthy();

    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    const socket = sockets.last();
    socket.open();
    socket.receive({ type: 'subscribed', scope: 'org', id: 'o', lastSeq: 7 });
    socket.receive({
      type: 'event',
      seq: 8,
      at: new Date().toISOString(),
      event: {
        type: 'assignment',
        conversationId: ID,
        phoneNumberId: NUMBER,
        customer: { phone: '393331234567', userId: null, profileName: 'Giulia' },
        assignee: ANA,
        lock: lockedBy(ANA),
      },
    });
    expect(await screen.findByText('Ana Rossi is replying')).toBeTruthy();
    expect(reply.disabled).toBe(true);
    expect(screen.queryByRole('button', { name: 'Take over' })).toBeNull();
  });
});
