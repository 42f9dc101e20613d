import { describe, expect, it } from 'vitest';
import { credentialOf } from './upgrade-auth.ts';

const TOKEN = 'sess_abc.' + 'x'.repeat(43);

describe('credentialOf', () => {
  it('takes the token from the query', () => {
    expect(credentialOf(`access_token=${encodeURIComponent(TOKEN)}`, '')).toEqual({
      ok: true,
      token: TOKEN,
      protocol: '',
    });
  });

  it('takes the token from a parlo.bearer subprotocol and selects parlo.v1 when offered', () => {
    expect(credentialOf('', `parlo.v1, parlo.bearer.${TOKEN}`)).toEqual({
      ok: true,
      token: TOKEN,
      protocol: 'parlo.v1',
    });
  });

  it('echoes the bearer protocol when it is the only one offered (a browser requires one of its own back)', () => {
    expect(credentialOf('', `parlo.bearer.${TOKEN}`)).toEqual({
      ok: true,
      token: TOKEN,
      protocol: `parlo.bearer.${TOKEN}`,
    });
  });

  it.each([
    ['nothing', '', '', 'PARLO_SESSION_INVALID'],
    ['an empty query token', 'access_token=', '', 'PARLO_SESSION_INVALID'],
    ['only other protocols', '', 'chat, parlo.v1', 'PARLO_SESSION_INVALID'],
    ['both', `access_token=${TOKEN}`, `parlo.bearer.${TOKEN}`, 'PARLO_BAD_REQUEST'],
    ['two query tokens', `access_token=a&access_token=b`, '', 'PARLO_BAD_REQUEST'],
  ])('refuses %s', (_, query, protocols, code) => {
    const credential = credentialOf(query, protocols);
    expect(credential.ok).toBe(false);
    expect(credential.ok ? undefined : credential.error.code).toBe(code);
  });
});
