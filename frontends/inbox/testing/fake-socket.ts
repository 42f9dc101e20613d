import type { SocketFactory, SocketLike } from '../src/lib/socket.ts';
import type { ServerFrame } from '../src/lib/wire.ts';

/** A WebSocket the test drives: it opens when told, records what the app sends, delivers server frames. */
export class FakeSocket implements SocketLike {
  readonly sent: unknown[] = [];
  isClosed = false;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.isClosed = true;
  }

  /** The frames of one type the app sent (`'typing'`). */
  sentOfType(type: string): unknown[] {
    return this.sent.filter((frame) => (frame as { type?: unknown }).type === type);
  }

  open(): void {
    this.onopen?.(new Event('open'));
  }

  receive(frame: ServerFrame): void {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(frame) }));
  }

  /** The server (or the network) ends the connection. */
  drop(): void {
    this.isClosed = true;
    this.onclose?.(new CloseEvent('close', { code: 1006 }));
  }
}

export function fakeSockets(): { readonly factory: SocketFactory; readonly sockets: FakeSocket[]; last(): FakeSocket } {
  const sockets: FakeSocket[] = [];
  return {
    factory: (url, protocols) => {
      const socket = new FakeSocket(url, protocols);
      sockets.push(socket);
      return socket;
    },
    sockets,
    last() {
      const socket = sockets[sockets.length - 1];
      if (!socket) throw new Error('no socket was opened');
      return socket;
    },
  };
}
