import { cleanup } from '@solidjs/testing-library';
import { afterEach } from 'vitest';

// vitest runs without globals, so @solidjs/testing-library cannot register its own cleanup.
afterEach(() => {
  cleanup();
  sessionStorage.clear();
  localStorage.clear();
  history.replaceState(null, '', '/');
});
