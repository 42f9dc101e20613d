import { ParloError } from '../errors/parlo-error.ts';

/** A virtual actor's address: its kind (the actor type, e.g. `conversation`) and its id within that kind. */
export interface Address {
  readonly kind: string;
  readonly id: string;
}

const KIND_PATTERN = /^[a-z][a-z0-9-]*$/;

/** `kind:id` — the canonical printed form; the id may itself contain colons. */
export function formatAddress(address: Address): string {
  return `${address.kind}:${address.id}`;
}

export function parseAddress(text: string): Address {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) {
    throw new ParloError('PARLO_INVALID_ADDRESS', `"${text}" is not an actor address of the form kind:id`);
  }
  const kind = text.slice(0, colon);
  if (!KIND_PATTERN.test(kind)) {
    throw new ParloError('PARLO_INVALID_ADDRESS', `actor kind "${kind}" must be lowercase letters, digits and dashes`);
  }
  return { kind, id: text.slice(colon + 1) };
}

export function isValidKind(kind: string): boolean {
  return KIND_PATTERN.test(kind);
}
