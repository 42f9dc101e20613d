import { fireEvent, screen, waitFor, within } from '@solidjs/testing-library';
import { describe, expect, it } from 'vitest';
import { ME, NUMBER, message, summary } from '../../testing/fixtures.ts';
import { renderApp } from '../../testing/render-app.tsx';

const older = summary('15550001', 'Bruno', '2026-11-20T10:00:00.000Z', { unreadCount: 0 });
const newer = summary('15550002', 'Carla', '2026-11-20T11:00:00.000Z', { unreadCount: 2, assignee: ME });

function names(): string[] {
  const list = screen.getByRole('list', { name: 'Conversations' });
  return within(list)
    .queryAllByRole('link')
    .map((a) => a.querySelector('.item-name')?.textContent ?? '');
}

describe('the conversation list', () => {
  it('shows the conversations newest first with their preview, unread count and assignee', async () => {
    renderApp({ routes: { 'GET /v1/conversations': { body: { data: [older, newer], nextCursor: null } } } });
    await waitFor(() => expect(names()).toEqual(['Carla', 'Bruno']));
    expect(screen.getByText('hello from Carla')).toBeTruthy();
    expect(screen.getByLabelText('2 unread').textContent).toBe('2');
    expect(screen.getByText('Assigned to you')).toBeTruthy();
  });

  it('puts a conversation that a realtime event brings at the top, live', async () => {
    const { sockets, api } = renderApp({
      routes: { 'GET /v1/conversations': { body: { data: [newer, older], nextCursor: null } } },
    });
    await waitFor(() => expect(names()).toEqual(['Carla', 'Bruno']));
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    const socket = sockets.last();
    expect(socket.url).toBe('ws://gateway.test/v1/realtime');
    expect(socket.protocols).toEqual(['parlo.v1', 'parlo.bearer.aaaa.access']);
    socket.open();
    expect(socket.sent).toEqual([{ type: 'subscribe', scope: 'org' }]);
    socket.receive({ type: 'subscribed', scope: 'org', id: '0123456789abcdef', lastSeq: 41 });
    expect(await screen.findByText('Live')).toBeTruthy();
    socket.receive({
      type: 'event',
      seq: 42,
      at: '2026-11-20T12:00:00.000Z',
      event: {
        type: 'message',
        conversationId: `${NUMBER}.p15550003`,
        phoneNumberId: NUMBER,
        customer: { phone: '15550003', userId: null, profileName: 'Dario' },
        message: message({ direction: 'in', at: '2026-11-20T12:00:00.000Z', content: { body: 'Is it shipped?' } }),
      },
    });
    await waitFor(() => expect(names()).toEqual(['Dario', 'Carla', 'Bruno']));
    expect(screen.getByText('Is it shipped?')).toBeTruthy();
    // The same event again (a replay) changes nothing.
    socket.receive({
      type: 'event',
      seq: 42,
      at: '2026-11-20T12:00:00.000Z',
      event: {
        type: 'message',
        conversationId: `${NUMBER}.p15550001`,
        phoneNumberId: NUMBER,
        customer: older.customer,
        message: message({ direction: 'in', at: '2026-11-20T12:30:00.000Z' }),
      },
    });
    expect(names()).toEqual(['Dario', 'Carla', 'Bruno']);
    // A new customer message re-reads that conversation's window from the API.
    await waitFor(() => expect(api.callsTo(`GET /v1/conversations/${NUMBER}.p15550003`)).toHaveLength(1), {
      timeout: 2000,
    });
  });

  it('asks the API for mine, unassigned, open-window and unread conversations', async () => {
    const { api } = renderApp({
      routes: {
        'GET /v1/conversations': (request) => ({
          body: {
            data: request.query.get('assignee') === 'unassigned' ? [older] : [newer, older],
            nextCursor: null,
          },
        }),
      },
    });
    await waitFor(() => expect(names()).toEqual(['Carla', 'Bruno']));
    fireEvent.click(screen.getByRole('button', { name: 'Unassigned' }));
    await waitFor(() => expect(names()).toEqual(['Bruno']));
    expect(screen.getByRole('button', { name: 'Unassigned' }).getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: 'Mine' }));
    fireEvent.change(screen.getByLabelText('Window'), { target: { value: 'open' } });
    fireEvent.click(screen.getByLabelText('Unread only'));
    await waitFor(() => {
      const last = api.callsTo('GET /v1/conversations').at(-1);
      expect(Object.fromEntries(last?.query ?? [])).toEqual({
        limit: '30',
        assignee: ME,
        window: 'open',
        hasUnread: 'true',
      });
    });
  });

  it('searches names, phones and message texts (q), showing the message that matched', async () => {
    const found = {
      ...older,
      match: {
        seq: 3,
        at: '2026-11-20T09:00:00.000Z',
        direction: 'in' as const,
        excerpt: '…where is my order A-1001?',
      },
    };
    const { api } = renderApp({
      routes: {
        'GET /v1/conversations': (request) => ({
          body: { data: request.query.get('q') === 'order' ? [found] : [newer, older], nextCursor: null },
        }),
      },
    });
    await waitFor(() => expect(names()).toEqual(['Carla', 'Bruno']));
    fireEvent.input(screen.getByRole('searchbox', { name: 'Search names, phones and messages' }), {
      target: { value: ' order ' },
    });
    await waitFor(() => expect(names()).toEqual(['Bruno']));
    expect(api.callsTo('GET /v1/conversations').at(-1)?.query.get('q')).toBe('order');
    expect(screen.getByText('…where is my order A-1001?')).toBeTruthy();
  });

  it('pages with the cursor ("load more")', async () => {
    const { api } = renderApp({
      routes: {
        'GET /v1/conversations': (request) => ({
          body:
            request.query.get('cursor') === 'c2'
              ? { data: [older], nextCursor: null }
              : { data: [newer], nextCursor: 'c2' },
        }),
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(names()).toEqual(['Carla', 'Bruno']));
    expect(api.callsTo('GET /v1/conversations').at(-1)?.query.get('cursor')).toBe('c2');
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });
});
