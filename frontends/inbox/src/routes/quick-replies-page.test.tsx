import { fireEvent, screen, waitFor, within } from '@solidjs/testing-library';
import { describe, expect, it } from 'vitest';
import { fakeQuickReplies } from '../../testing/fake-quick-replies.ts';
import { quickReply } from '../../testing/fixtures.ts';
import { renderApp } from '../../testing/render-app.tsx';

const PATH = '/settings/quick-replies';

function setup(role: 'operator' | 'manager') {
  const replies = fakeQuickReplies([
    quickReply({ shortcut: 'hello', title: 'Greeting', text: 'Hello {{contact.first_name}}!' }),
    quickReply({ shortcut: 'thanks', title: 'Thanks', scope: 'personal', text: 'Thank you!' }),
  ]);
  return { ...renderApp({ signedIn: role, path: PATH, routes: replies.routes }), replies };
}

const section = (name: string) => screen.getByRole('region', { name });
const shortcutsIn = (name: string) =>
  [...section(name).querySelectorAll('.qr-item .qr-shortcut')].map((e) => e.textContent);

function fill(fields: { shortcut?: string; title?: string; text?: string }) {
  if (fields.shortcut !== undefined) {
    fireEvent.input(screen.getByLabelText('Shortcut'), { target: { value: fields.shortcut } });
  }
  if (fields.title !== undefined) fireEvent.input(screen.getByLabelText('Title'), { target: { value: fields.title } });
  if (fields.text !== undefined) fireEvent.input(screen.getByLabelText('Text'), { target: { value: fields.text } });
}

describe('the quick replies screen', () => {
  it('lets an operator create a personal reply, showing a taken shortcut next to the field', async () => {
    const { api } = setup('operator');
    expect(await screen.findByRole('heading', { level: 2, name: 'Quick replies' })).toBeTruthy();
    await waitFor(() => expect(shortcutsIn('Shared with the organisation')).toEqual(['/hello']));
    expect(shortcutsIn('Yours')).toEqual(['/thanks']);
    // Operators change their own replies only.
    expect(screen.queryByRole('button', { name: 'Edit /hello' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Edit /thanks' })).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'New quick reply' }));
    const form = screen.getByRole('form', { name: 'New quick reply' });
    expect(within(form).queryByRole('radio')).toBeNull();
    expect(within(form).queryByText('Who can use it')).toBeNull();

    fill({ shortcut: 'thanks', title: 'Thanks again', text: 'Thanks {{contact.first_name}}, see you!' });
    fireEvent.click(within(form).getByRole('button', { name: 'Create' }));
    const error = await within(form).findByText('the shortcut /thanks is already taken');
    const shortcut = screen.getByLabelText<HTMLInputElement>('Shortcut');
    expect(shortcut.getAttribute('aria-invalid')).toBe('true');
    expect(shortcut.getAttribute('aria-describedby')?.split(' ')).toContain(error.id);
    await waitFor(() => expect(document.activeElement).toBe(shortcut));
    expect(api.callsTo('POST /v1/quick-replies')[0]?.body).toEqual({
      scope: 'personal',
      shortcut: 'thanks',
      title: 'Thanks again',
      text: 'Thanks {{contact.first_name}}, see you!',
    });

    fill({ shortcut: '/bye' });
    fireEvent.click(within(form).getByRole('button', { name: 'Create' }));
    expect(await screen.findByText('Quick reply /bye created.')).toBeTruthy();
    expect(api.callsTo('POST /v1/quick-replies')[1]?.body).toMatchObject({ scope: 'personal', shortcut: 'bye' });
    expect(screen.queryByRole('form')).toBeNull();
    expect(shortcutsIn('Yours')).toEqual(['/bye', '/thanks']);
  });

  it('offers a manager the scope, shows a bad variable next to the text, and edits and deletes', async () => {
    const { api } = setup('manager');
    await waitFor(() => expect(shortcutsIn('Shared with the organisation')).toEqual(['/hello']));
    fireEvent.click(screen.getByRole('button', { name: 'New quick reply' }));
    const form = screen.getByRole('form', { name: 'New quick reply' });
    const scope = within(form).getByRole('group', { name: 'Who can use it' });
    expect(within(scope).getByRole<HTMLInputElement>('radio', { name: 'Only me' }).checked).toBe(true);
    fireEvent.click(within(scope).getByRole('radio', { name: 'Everyone in the organisation' }));

    fill({ shortcut: 'bye', title: 'Goodbye', text: 'Bye from {{operator.nickname}}' });
    fireEvent.click(within(form).getByRole('button', { name: 'Create' }));
    const error = await within(form).findByText('text: unknown variable {{operator.nickname}}');
    expect(screen.getByLabelText('Text').getAttribute('aria-describedby')?.split(' ')).toContain(error.id);
    expect(screen.getByLabelText('Shortcut').getAttribute('aria-invalid')).toBe('false');

    fill({ text: 'Bye from {{operator.first_name}}' });
    fireEvent.click(within(form).getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(shortcutsIn('Shared with the organisation')).toEqual(['/bye', '/hello']));
    expect(api.callsTo('POST /v1/quick-replies').at(-1)?.body).toMatchObject({ scope: 'shared', shortcut: 'bye' });

    fireEvent.click(screen.getByRole('button', { name: 'Edit /hello' }));
    const edit = screen.getByRole('form', { name: 'Edit /hello' });
    expect(within(edit).queryByRole('radio')).toBeNull();
    fill({ title: 'Warm greeting' });
    fireEvent.click(within(edit).getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Quick reply /hello saved.')).toBeTruthy();
    expect(api.callsTo('PATCH /v1/quick-replies/*')[0]?.body).toEqual({ title: 'Warm greeting' });
    expect(screen.getByText('Warm greeting')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Delete /thanks' }));
    fireEvent.click(screen.getByRole('button', { name: 'Delete it' }));
    expect(await screen.findByText('Quick reply /thanks deleted.')).toBeTruthy();
    expect(api.callsTo('DELETE /v1/quick-replies/*')).toHaveLength(1);
    expect(shortcutsIn('Yours')).toEqual([]);
    expect(screen.getByText('You have no quick replies of your own yet.')).toBeTruthy();
  });

  it('is linked from the header and goes back to the inbox', async () => {
    renderApp();
    fireEvent.click(await screen.findByRole('link', { name: 'Quick replies' }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Quick replies' })).toBeTruthy();
    expect(location.pathname).toBe(PATH);
    fireEvent.click(screen.getByRole('link', { name: 'Back to the inbox' }));
    expect(await screen.findByRole('list', { name: 'Conversations' })).toBeTruthy();
    expect(location.pathname).toBe('/');
  });
});
