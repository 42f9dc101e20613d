import { screen, waitFor, within } from '@solidjs/testing-library';
import { describe, expect, it } from 'vitest';
import { ANA, NUMBER, message, operators, presenceFrame, summary, view } from '../../testing/fixtures.ts';
import { renderApp } from '../../testing/render-app.tsx';

const PHONE = '393331234567';
const ID = `${NUMBER}.p${PHONE}`;
const PATH = `/conversations/${encodeURIComponent(ID)}`;

/** A conversation assigned to Ana, open, with Ana online. */
function renderAssigned() {
  return renderApp({
    path: PATH,
    routes: {
      'GET /v1/operators': { body: operators({ [ANA]: 'online' }) },
      'GET /v1/conversations': {
        body: { data: [summary(PHONE, 'Giulia', '2026-11-20T11:00:00.000Z', { assignee: ANA })], nextCursor: null },
      },
      [`GET /v1/conversations/${ID}`]: { body: view(ID, [message({ direction: 'in' })], { assignee: ANA }) },
    },
  });
}

const header = () => document.querySelector<HTMLElement>('.view-header') as HTMLElement;
const row = () => screen.getByRole('link', { name: /Giulia/ });
const topBar = () => document.querySelector<HTMLElement>('.top-bar') as HTMLElement;

describe('presence', () => {
  it('shows the assignee’s presence in the header and on the list row, live as presence frames arrive', async () => {
    const app = renderAssigned();
    await screen.findByText('Assignee: Ana Rossi');
    await waitFor(() => expect(within(header()).getByRole('img', { name: 'Online' })).toBeTruthy());
    expect(within(row()).getByRole('img', { name: 'Online' }).className).toContain('presence-online');
    expect(within(topBar()).getByText('1 online')).toBeTruthy();

    const socket = await app.connect(10);
    await screen.findByText('Live');
    socket.receive(presenceFrame(ANA, 'away', new Date().toISOString()));
    await waitFor(() => expect(within(header()).getByRole('img', { name: 'Away' })).toBeTruthy());
    expect(within(header()).getByRole('img', { name: 'Away' }).className).toContain('presence-away');
    expect(within(row()).getByRole('img', { name: 'Away' })).toBeTruthy();
    expect(within(topBar()).getByText('0 online')).toBeTruthy();

    // A frame older than the one held changes nothing.
    socket.receive(presenceFrame(ANA, 'online', new Date(Date.now() - 60_000).toISOString()));
    socket.receive(presenceFrame(ANA, 'offline', new Date(Date.now() + 1_000).toISOString()));
    await waitFor(() => expect(within(header()).getByRole('img', { name: 'Offline' })).toBeTruthy());
    expect(within(header()).queryByRole('img', { name: 'Online' })).toBeNull();
  });

  it('lists colleagues with their presence in the top bar, not the signed-in user, in the chosen language', async () => {
    renderApp({ language: 'it', routes: { 'GET /v1/operators': { body: operators({ [ANA]: 'away' }) } } });
    const colleagues = await screen.findByRole('list', { name: 'Colleghi' });
    expect(within(topBar()).getByText('0 online')).toBeTruthy();
    const items = within(colleagues).getAllByRole('listitem');
    expect(items.map((item) => item.textContent)).toEqual(['Ana Rossi']);
    expect(within(colleagues).getByRole('img', { name: 'Assente' })).toBeTruthy();
  });

  it('reads everyone’s presence again after the connection comes back', async () => {
    const app = renderAssigned();
    const socket = await app.connect(10);
    await screen.findByText('Live');
    const before = app.api.callsTo('GET /v1/operators').length;
    app.api.on('GET /v1/operators', { body: operators({ [ANA]: 'offline' }) });
    socket.drop();
    await waitFor(() => expect(app.sockets.sockets).toHaveLength(2), { timeout: 3_000 });
    await app.connect(10);
    await waitFor(() => expect(app.api.callsTo('GET /v1/operators').length).toBe(before + 1));
    await waitFor(() => expect(within(header()).getByRole('img', { name: 'Offline' })).toBeTruthy());
  });
});
