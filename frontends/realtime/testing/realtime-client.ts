import { Agent, WebSocket } from 'undici';

/**
 * A WebSocket client of the realtime gateway for integration tests (undici's WebSocket, as a browser would use it):
 * it keeps every frame it receives, and reads them in order. Handshakes go through an agent of this undici (not the
 * process-wide dispatcher, which Node's own bundled undici may have installed).
 */
const agent = new Agent();

export interface Frame {
  readonly type: string;
  readonly [key: string]: unknown;
}

export class RealtimeTestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #read = 0;
  #wake: (() => void) | null = null;
  #closedWith: { code: number; reason: string } | null = null;
  #error = '';

  private constructor(readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      this.frames.push(JSON.parse(String(event.data)) as Frame);
      this.#wake?.();
    });
    socket.addEventListener('error', (event) => {
      this.#error = `, error: ${String((event as unknown as { error?: unknown }).error)}`;
    });
    this.closed = new Promise((resolve) => {
      socket.addEventListener('close', (event) => {
        this.#closedWith = { code: event.code, reason: event.reason };
        resolve(this.#closedWith);
        this.#wake?.();
      });
    });
  }

  /** Connects and waits for the `ready` frame. */
  static async connect(url: string, protocols?: string[]): Promise<RealtimeTestClient> {
    const client = new RealtimeTestClient(new WebSocket(url, { protocols: protocols ?? [], dispatcher: agent }));
    await new Promise<void>((resolve, reject) => {
      client.socket.addEventListener('open', () => resolve());
      client.socket.addEventListener('error', () => reject(new Error(`could not connect to ${url}`)));
    });
    const ready = await client.next();
    if (ready.type !== 'ready') throw new Error(`expected a ready frame, got ${JSON.stringify(ready)}`);
    return client;
  }

  send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** The next frame not read yet. */
  async next(timeoutMs = 5_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.#read >= this.frames.length) {
      if (this.#closedWith !== null) {
        throw new Error(
          `the socket closed (${JSON.stringify(this.#closedWith)}${this.#error}); received ${JSON.stringify(this.frames)}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms; received ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
    return this.frames[this.#read++]!;
  }

  /** Reads frames up to the first of `type`, and returns it with those read on the way. */
  async until(type: string, timeoutMs = 5_000): Promise<{ frame: Frame; before: Frame[] }> {
    const before: Frame[] = [];
    for (;;) {
      const frame = await this.next(timeoutMs);
      if (frame.type === type) return { frame, before };
      before.push(frame);
    }
  }

  /** Every frame received up to a pong (the gateway answers in order, so it follows what was sent before). */
  async roundTrip(): Promise<Frame[]> {
    this.send({ type: 'ping' });
    return (await this.until('pong')).before;
  }

  /** Reads `count` event frames (failing on any other frame) and returns their seqs. */
  async eventSeqs(count: number): Promise<number[]> {
    const seqs: number[] = [];
    while (seqs.length < count) {
      const frame = await this.next();
      if (frame.type !== 'event') throw new Error(`expected an event, got ${JSON.stringify(frame)}`);
      seqs.push(frame.seq as number);
    }
    return seqs;
  }

  close(): void {
    this.socket.close();
  }
}
