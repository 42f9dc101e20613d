import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A real `nats-server` for integration tests, the way nats.js's `nst/` launches one: a child process on a free
 * loopback port with JetStream storing into a fresh temp dir. Test machinery only (STYLE 2.1).
 *
 * Binary lookup: `$NATS_SERVER_BIN`, then `nats-server` on PATH, then the Debian package location (`/usr/sbin`
 * is not on a normal user's PATH).
 */

export interface NatsServerOptions {
  /** Enable JetStream (`-js -sd <storeDir>`). Default true. */
  jetstream?: boolean;
  /** Fixed client port; by default a free one is picked (and re-picked if someone grabs it first). */
  port?: number;
}

export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** JetStream store dir (a fresh `mkdtemp`); removed by `stop()`, kept by `restart()`. */
  readonly storeDir: string;
  /** SIGTERM, wait for exit (SIGKILL after 5 s), remove the store dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops the process and starts it again on the same port and store dir (JetStream state survives). */
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const POLL_INTERVAL_MS = 25;
const STDERR_TAIL_LINES = 20;
const PORT_ATTEMPTS = 5;

let cachedBinary: string | null | undefined;

function resolveBinary(): string | null {
  if (cachedBinary !== undefined) return cachedBinary;
  const candidates = [
    process.env['NATS_SERVER_BIN'],
    ...(process.env['PATH'] ?? '').split(delimiter).map((dir) => (dir ? join(dir, 'nats-server') : undefined)),
    '/usr/sbin/nats-server',
    '/usr/local/sbin/nats-server',
  ];
  cachedBinary = null;
  for (const candidate of candidates) {
    if (!candidate || !existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ['--version'], { stdio: 'ignore', timeout: 5_000 });
    if (probe.error === undefined && probe.status === 0) {
      cachedBinary = candidate;
      break;
    }
  }
  return cachedBinary;
}

/** Binds port 0 on loopback, reads the port the kernel chose, and releases it. */
async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('nats-server helper: could not read the port of a probe socket'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/**
 * One probe: connects and resolves true only once the peer sends the NATS `INFO` greeting, so a foreign
 * process that happens to own the port does not count as ready.
 */
function probeNats(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let received = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.startsWith('INFO ')) done(true);
      else if (received.length >= 5) done(false);
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Leftovers of servers whose stop() never ran: children to kill and store dirs to remove when the test process
 * exits (synchronously, as 'exit' handlers must be).
 */
const liveChildren = new Set<ChildProcess>();
const liveStoreDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    for (const dir of liveStoreDirs) rmSync(dir, { recursive: true, force: true });
  });
}

function trackChild(child: ChildProcess): void {
  installExitHook();
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

class Running {
  readonly stderrTail: string[] = [];
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  spawnError: Error | undefined;
  readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    let partial = '';
    const collect = (chunk: Buffer): void => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.pushLine(line);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.spawnError = err;
        resolve();
      });
      child.once('exit', (code, signal) => {
        if (partial) this.pushLine(partial);
        partial = '';
        this.exit = { code, signal };
        resolve();
      });
    });
  }

  private pushLine(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
  }

  get finished(): boolean {
    return this.exit !== undefined || this.spawnError !== undefined;
  }

  tail(): string {
    return this.stderrTail.length > 0 ? this.stderrTail.map((l) => `  | ${l}`).join('\n') : '  (no output)';
  }
}

class PortInUseError extends Error {}

function launch(binary: string, port: number, storeDir: string, jetstream: boolean): Running {
  const args = ['-a', HOST, '-p', String(port)];
  if (jetstream) args.push('-js', '-sd', storeDir);
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  const running = new Running(child);
  // A forgotten stop() must not keep the test process alive; the exit hook kills the child instead.
  unrefChild(child);
  return running;
}

async function waitReady(running: Running, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (running.spawnError) {
      throw new Error(`nats-server could not be spawned for port ${port}: ${running.spawnError.message}`);
    }
    if (running.exit) {
      const tail = running.tail();
      if (/address already in use/i.test(tail)) {
        throw new PortInUseError(
          `nats-server could not bind ${HOST}:${port} (port ${port} in use); last output:\n${tail}`,
        );
      }
      throw new Error(
        `nats-server exited (code ${running.exit.code}, signal ${running.exit.signal}) before accepting ` +
          `connections on ${HOST}:${port}; last output:\n${tail}`,
      );
    }
    if (await probeNats(port)) {
      // The greeting could come from a stale server on the port if ours died meanwhile; re-check.
      if (!running.finished) return;
      continue;
    }
    if (Date.now() >= deadline) {
      await stopProcess(running);
      throw new Error(
        `nats-server did not accept connections on ${HOST}:${port} within ${READY_TIMEOUT_MS} ms ` +
          `(expected an INFO greeting); last output:\n${running.tail()}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdout, child.stderr]) if (stream instanceof Socket) stream.unref();
}

async function stopProcess(running: Running): Promise<void> {
  if (running.finished) return;
  // Keep the event loop alive until the child is reaped (launch() unref'd it).
  running.child.ref();
  running.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceful = await Promise.race([
    running.exited.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), STOP_GRACE_MS))),
  ]);
  clearTimeout(timer);
  if (!graceful && !running.finished) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
}

async function removeStoreDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  liveStoreDirs.delete(dir);
}

/**
 * Starts `nats-server` (JetStream on by default) on a free loopback port and resolves once it greets a TCP
 * client. Always pair with `await server.stop()` (e.g. in `afterAll`).
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = resolveBinary();
  if (binary === null) {
    throw new Error(
      'nats-server binary not found (looked at $NATS_SERVER_BIN, PATH, /usr/sbin, /usr/local/sbin); ' +
        'install it with `apt-get install nats-server`',
    );
  }
  const jetstream = options.jetstream ?? true;
  const storeDir = await mkdtemp(join(tmpdir(), 'parlo-nats-'));
  installExitHook();
  liveStoreDirs.add(storeDir);

  let port = options.port ?? (await findFreePort());
  let running: Running;
  try {
    for (let attempt = 1; ; attempt++) {
      running = launch(binary, port, storeDir, jetstream);
      try {
        await waitReady(running, port);
        break;
      } catch (err) {
        // Another process can grab a probed port between our close() and nats-server's bind(): pick again.
        if (err instanceof PortInUseError && options.port === undefined && attempt < PORT_ATTEMPTS) {
          port = await findFreePort();
          continue;
        }
        throw err;
      }
    }
  } catch (err) {
    await removeStoreDir(storeDir);
    throw err;
  }

  let stopped = false;
  const server: NatsServer = {
    url: `nats://${HOST}:${port}`,
    port,
    storeDir,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await stopProcess(running);
      await removeStoreDir(storeDir);
    },
    async restart(): Promise<void> {
      if (stopped) throw new Error(`nats-server on port ${port} was stopped; cannot restart`);
      await stopProcess(running);
      running = launch(binary, port, storeDir, jetstream);
      await waitReady(running, port);
    },
  };
  return server;
}
