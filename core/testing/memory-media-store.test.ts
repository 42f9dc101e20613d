import { describeMediaStoreContract } from '../ports/media-store.contract.ts';
import { MemoryMediaStore } from './memory-media-store.ts';

describeMediaStoreContract('in-memory double', (maxBytes) =>
  Promise.resolve({ store: new MemoryMediaStore({ maxBytes }), cleanup: () => Promise.resolve() }),
);
