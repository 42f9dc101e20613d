import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { createWireCodec } from '../codec/msgpack.ts';
import { startNatsServer, type NatsServer } from '../testing/nats-server.ts';
import { TWO_NODE_PARTITIONS } from '../testing/two-nodes.ts';
import { InProcessHub } from '../transport/in-process.ts';
import { connectNatsTransport } from '../transport/nats.ts';
import { describeMultiNodeRuntime } from './multi-node.contract.ts';

describeMultiNodeRuntime('in-process hub', () => {
  const hub = new InProcessHub();
  return (nodeId) => Promise.resolve(hub.connect(nodeId));
});

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
});
afterAll(async () => {
  await server?.stop();
});

const STREAM = 'PARLO_MULTI';

/** Each test starts from an empty stream: the previous test's durable consumers and messages are gone. */
async function deleteStream(): Promise<void> {
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(STREAM).catch(() => false);
  } finally {
    await nc.close();
  }
}

describeMultiNodeRuntime('NATS + JetStream', () => {
  let fresh: Promise<void> | undefined;
  return async (nodeId) => {
    await (fresh ??= deleteStream());
    return connectNatsTransport({
      servers: server.url,
      nodeId,
      streamName: STREAM,
      partitionCount: TWO_NODE_PARTITIONS,
      codec: createWireCodec(),
    });
  };
});
