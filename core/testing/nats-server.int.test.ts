import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from './nats-server.ts';

/** Connects and returns the first line the server sends (the NATS `INFO {...}` greeting). */
function readGreeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let buffered = '';
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`no greeting from 127.0.0.1:${port} within 5000 ms (got ${JSON.stringify(buffered)})`));
    });
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(buffered.slice(0, end));
      }
    });
  });
}

function connectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function serverInfo(greeting: string): { port: number; jetstream?: boolean } {
  expect(greeting.startsWith('INFO ')).toBe(true);
  return JSON.parse(greeting.slice('INFO '.length)) as { port: number; jetstream?: boolean };
}

// In CI a missing binary must fail loudly, not skip.
describe('startNatsServer', () => {
  let server: NatsServer | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('starts with JetStream on a free loopback port and greets TCP clients', async () => {
    server = await startNatsServer();

    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(existsSync(server.storeDir)).toBe(true);
    const info = serverInfo(await readGreeting(server.port));
    expect(info.port).toBe(server.port);
    expect(info.jetstream).toBe(true);
  });

  it('honours a fixed port and jetstream: false', async () => {
    const probe = createServer();
    const port = await new Promise<number>((resolve) =>
      probe.listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      }),
    );

    server = await startNatsServer({ port, jetstream: false });

    expect(server.port).toBe(port);
    const info = serverInfo(await readGreeting(port));
    expect(info.jetstream ?? false).toBe(false);
  });

  it('restart keeps the port and the store dir and serves again', async () => {
    server = await startNatsServer();
    const { port, storeDir } = server;

    await server.restart();

    expect(server.port).toBe(port);
    expect(server.storeDir).toBe(storeDir);
    expect(existsSync(storeDir)).toBe(true);
    expect(serverInfo(await readGreeting(port)).port).toBe(port);
  });

  it('stop frees the port, removes the store dir and is idempotent', async () => {
    const started = await startNatsServer();
    const { port, storeDir } = started;

    await started.stop();
    await started.stop();

    expect(await connectError(port)).toBe('ECONNREFUSED');
    expect(await canBind(port)).toBe(true);
    expect(existsSync(storeDir)).toBe(false);
    await expect(started.restart()).rejects.toThrow(/stopped/);
  });

  it('fails with the port and the server output when nats-server cannot start', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => {
        const address = blocker.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      }),
    );
    try {
      await expect(startNatsServer({ port })).rejects.toThrow(new RegExp(`port ${port}`));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
