import { fireEvent, screen, waitFor, within } from '@solidjs/testing-library';
import { describe, expect, it } from 'vitest';
import { fakeQuickReplies } from '../../testing/fake-quick-replies.ts';
import { NUMBER, message, quickReply, view } from '../../testing/fixtures.ts';
import { renderApp } from '../../testing/render-app.tsx';

const ID = `${NUMBER}.p393331234567`;
const PATH = `/conversations/${encodeURIComponent(ID)}`;

const hello = quickReply({ shortcut: 'hello', title: 'Greeting', text: 'Hello {{contact.first_name}}!' });
const help = quickReply({
  shortcut: 'help',
  title: 'How to get help',
  scope: 'personal',
  text: 'Hi {{contact.first_name}}, are you still in {{contact.city}}?',
});
const thanks = quickReply({
  shortcut: 'thanks',
  title: 'Thank them for the chat',
  text: 'Thanks {{contact.name|there}}!',
});

function setup() {
  const replies = fakeQuickReplies([hello, help, thanks]);
  const app = renderApp({
    path: PATH,
    routes: { [`GET /v1/conversations/${ID}`]: { body: view(ID, [message({ direction: 'in' })]) }, ...replies.routes },
  });
  return app;
}

/** The picker's options (not those of the conversation controls' selects). */
function options(): HTMLElement[] {
  return within(screen.getByRole('listbox', { name: 'Quick replies' })).getAllByRole('option');
}

/** The shortcuts the picker offers, in order. */
function offered(): string[] {
  return options().map((option) => option.querySelector('.qr-shortcut')?.textContent ?? '');
}

async function replyBox(): Promise<HTMLTextAreaElement> {
  const reply = await screen.findByRole<HTMLTextAreaElement>('combobox', { name: 'Reply' });
  reply.focus();
  return reply;
}

describe('quick replies in the composer', () => {
  it('filters by what follows /, picks with the keyboard, fills the reply in and lists the empty fields', async () => {
    const { api } = setup();
    const reply = await replyBox();
    expect(reply.getAttribute('aria-expanded')).toBe('false');

    fireEvent.input(reply, { target: { value: '/' } });
    await screen.findByRole('listbox', { name: 'Quick replies' });
    expect(offered()).toEqual(['/hello', '/help', '/thanks']);
    // Shortcut prefixes first, then titles ("Thank them…" holds "he").
    fireEvent.input(reply, { target: { value: '/he' } });
    expect(offered()).toEqual(['/hello', '/help', '/thanks']);
    fireEvent.input(reply, { target: { value: '/chat' } });
    expect(offered()).toEqual(['/thanks']);
    fireEvent.input(reply, { target: { value: '/hel' } });
    expect(offered()).toEqual(['/hello', '/help']);

    const [first, second] = options();
    expect(reply.getAttribute('aria-expanded')).toBe('true');
    expect(reply.getAttribute('aria-controls')).toBe(screen.getByRole('listbox', { name: 'Quick replies' }).id);
    expect(reply.getAttribute('aria-activedescendant')).toBe(first?.id);
    fireEvent.keyDown(reply, { key: 'ArrowDown' });
    expect(reply.getAttribute('aria-activedescendant')).toBe(second?.id);
    expect(second?.getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(reply, { key: 'ArrowDown' });
    expect(reply.getAttribute('aria-activedescendant')).toBe(first?.id);
    fireEvent.keyDown(reply, { key: 'ArrowUp' });
    expect(reply.getAttribute('aria-activedescendant')).toBe(second?.id);

    fireEvent.keyDown(reply, { key: 'Enter' });
    await waitFor(() => expect(reply.value).toBe('Hi Giulia, are you still in ?'));
    expect(api.callsTo(`POST /v1/conversations/${ID}/quick-replies/${help.id}/render`)).toHaveLength(1);
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(reply.getAttribute('aria-expanded')).toBe('false');
    await waitFor(() => expect(document.activeElement).toBe(reply));
    const notice = screen.getByText(/check the text before sending: contact\.city$/);
    expect(notice.closest('[role="status"]')).toBeTruthy();
    // The notice does not block sending.
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Send' }).disabled).toBe(false);

    // The list was read once, not per keystroke.
    fireEvent.input(reply, { target: { value: '/' } });
    expect(offered()).toEqual(['/hello', '/help', '/thanks']);
    expect(api.callsTo('GET /v1/quick-replies')).toHaveLength(1);
  });

  it('picks with Tab, closes with Escape without leaving the box, and opens from the button too', async () => {
    const { api } = setup();
    const reply = await replyBox();

    fireEvent.input(reply, { target: { value: '/tha' } });
    await screen.findByRole('listbox', { name: 'Quick replies' });
    fireEvent.keyDown(reply, { key: 'Tab' });
    await waitFor(() => expect(reply.value).toBe('Thanks Giulia Bianchi!'));
    expect(screen.queryByText(/check the text before sending/)).toBeNull();

    fireEvent.input(reply, { target: { value: '/' } });
    expect(await screen.findByRole('listbox', { name: 'Quick replies' })).toBeTruthy();
    fireEvent.keyDown(reply, { key: 'Escape' });
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(document.activeElement).toBe(reply);
    expect(screen.getByRole('heading', { name: 'Giulia' })).toBeTruthy();

    // The button inserts at the caret, keeping what is written.
    fireEvent.input(reply, { target: { value: 'Dear customer: ' } });
    reply.setSelectionRange(reply.value.length, reply.value.length);
    fireEvent.click(screen.getByRole('button', { name: 'Quick replies' }));
    expect(offered()).toEqual(['/hello', '/help', '/thanks']);
    expect(document.activeElement).toBe(reply);
    fireEvent.click(options()[0] as HTMLElement);
    await waitFor(() => expect(reply.value).toBe('Dear customer: Hello Giulia!'));
    expect(api.callsTo('GET /v1/quick-replies')).toHaveLength(1);
  });
});
