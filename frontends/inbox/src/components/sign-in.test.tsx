import { fireEvent, screen, waitFor } from '@solidjs/testing-library';
import { describe, expect, it } from 'vitest';
import { apiError } from '../../testing/fake-api.ts';
import { session } from '../../testing/fixtures.ts';
import { renderApp } from '../../testing/render-app.tsx';
import { SESSION_STORAGE_KEY } from '../lib/session.ts';

function fill(label: string, value: string) {
  fireEvent.input(screen.getByLabelText(label), { target: { value } });
}

describe('the sign-in form', () => {
  it('asks for the email and the password before calling the API', async () => {
    const { api } = renderApp({ signedIn: false });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Enter your email.')).toBeTruthy();
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBe('true');
    fill('Email', 'ana@acme.test');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Enter your password.')).toBeTruthy();
    expect(api.callsTo('POST /v1/sessions')).toHaveLength(0);
  });

  it('shows a wrong password in words and clears the password', async () => {
    const { api } = renderApp({
      signedIn: false,
      routes: { 'POST /v1/sessions': apiError(401, 'PARLO_LOGIN_FAILED', 'the email or the password is wrong') },
    });
    fill('Email', 'ana@acme.test');
    fill('Password', 'nope');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('The email or the password is wrong.'));
    expect(api.callsTo('POST /v1/sessions')[0]?.body).toEqual({ email: 'ana@acme.test', password: 'nope' });
    expect(screen.getByLabelText<HTMLInputElement>('Password').value).toBe('');
  });

  it('says how long a locked login must wait', async () => {
    renderApp({
      signedIn: false,
      routes: {
        'POST /v1/sessions': apiError(429, 'PARLO_LOGIN_LOCKED', 'too many failed sign-ins; try again in 840 s', {
          retryAfterSeconds: 840,
        }),
      },
    });
    fill('Email', 'ana@acme.test');
    fill('Password', 'x');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe('Too many failed sign-ins. Try again in 840 s.'),
    );
  });

  it('keeps the tokens for the tab and opens the inbox', async () => {
    const signedIn = session('operator');
    renderApp({
      signedIn: false,
      routes: {
        'POST /v1/sessions': {
          status: 201,
          body: { orgId: signedIn.orgId, user: signedIn.user, tokens: signedIn.tokens },
        },
      },
    });
    fill('Email', 'olga.operator@acme.test');
    fill('Password', 'correct horse battery staple');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('button', { name: 'Sign out' })).toBeTruthy();
    const stored = JSON.parse(sessionStorage.getItem(SESSION_STORAGE_KEY) ?? '{}') as typeof signedIn;
    expect(stored.tokens.accessToken).toBe(signedIn.tokens.accessToken);
  });
});
