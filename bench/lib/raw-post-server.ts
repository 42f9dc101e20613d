/**
 * The raw loopback POST ceiling's server: reads each request body to its end and answers `200` with `{}`, nothing
 * else. argv: `http` (node:http, the stack under Parlo's fastify frontend) or `uws` (uWebSockets.js, the stack of
 * the simulator). Forked with IPC; says `{ type: 'ready', url }`; `{ type: 'stop' }` ends it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadUws } from '../../core/net/uws.ts';

const kind = process.argv[2] ?? 'http';
if (!process.send) throw new Error('fork me with an IPC channel');

let url: string;
if (kind === 'uws') {
  const uws = loadUws();
  const app = uws.App();
  app.any('/*', (res) => {
    res.onAborted(() => undefined);
    res.onData((_chunk, isLast) => {
      if (isLast) res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end('{}'));
    });
  });
  const port = await new Promise<number>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (socket) =>
      socket ? resolve(uws.us_socket_local_port(socket)) : reject(new Error('uWS could not listen')),
    ),
  );
  url = `http://127.0.0.1:${port}`;
} else {
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
process.send({ type: 'ready', url });
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
