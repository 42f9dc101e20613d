import { fireEvent, screen } from '@solidjs/testing-library';
import { describe, expect, it } from 'vitest';
import { renderApp } from '../../testing/render-app.tsx';
import { LANGUAGE_STORAGE_KEY } from '../i18n/i18n.ts';

describe('the language switch', () => {
  it('switches every text between Spanish, English and Italian and remembers the choice', async () => {
    renderApp({ signedIn: false, language: 'en' });
    expect(screen.getByRole('heading', { name: 'Sign in to the inbox' })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'es' } });
    expect(await screen.findByRole('heading', { name: 'Inicia sesión en la bandeja' })).toBeTruthy();
    expect(screen.getByLabelText('Contraseña')).toBeTruthy();
    expect(document.documentElement.lang).toBe('es');
    fireEvent.change(screen.getByLabelText('Idioma'), { target: { value: 'it' } });
    expect(await screen.findByRole('button', { name: 'Accedi' })).toBeTruthy();
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('it');
  });

  it('translates the inbox too', async () => {
    renderApp({ language: 'it' });
    expect(await screen.findByRole('button', { name: 'Esci' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Non assegnate' })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Lingua'), { target: { value: 'es' } });
    expect(await screen.findByRole('button', { name: 'Sin asignar' })).toBeTruthy();
  });
});
