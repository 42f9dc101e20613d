/**
 * Child process for the crash test: a real ActorSystem (LMDB in the directory given as argv[2], system clock,
 * in-process transport) driven over the IPC channel. The parent kills it with SIGKILL at random moments.
 *
 * Parent → child: { op: 'inc', seq, actor } | { op: 'timer', seq, actor, afterMs } | { op: 'get', seq, actor } |
 *                 { op: 'stats', seq }
 * Child → parent: { type: 'ready' } | { type: 'ack', seq, value? } | { type: 'nack', seq, error }
 */
import { InMemoryMetrics } from '../../metrics/metrics.ts';
import { silentLogger } from '../../log/logger.ts';
import { ActorSystem } from '../../runtime/system.ts';
import { RuntimeStore } from '../../store/runtime-store.ts';
import { SystemClock } from '../../time/clock.ts';
import { InProcessHub } from '../../transport/in-process.ts';
import { counterActor } from '../actors/counter.actor.ts';

type Command =
  | { op: 'inc'; seq: number; actor: string }
  | { op: 'timer'; seq: number; actor: string; afterMs: number }
  | { op: 'get'; seq: number; actor: string }
  | { op: 'stats'; seq: number };

const dataDir = process.argv[2];
if (!dataDir || !process.send) throw new Error('usage: forked with an IPC channel and a data dir argument');
const send = process.send.bind(process);

const store = RuntimeStore.open(dataDir);
const system = new ActorSystem({
  nodeId: 'crash-node',
  definitions: [counterActor],
  store,
  transport: new InProcessHub().connect('crash-node'),
  clock: new SystemClock(),
  logger: silentLogger(),
  metrics: new InMemoryMetrics(),
  partitionCount: 8,
});
await system.start();

process.on('message', (command: Command) => {
  const reply = (value: unknown): void => void send({ type: 'ack', seq: command.seq, value });
  const fail = (err: unknown): void => void send({ type: 'nack', seq: command.seq, error: String(err) });
  switch (command.op) {
    case 'inc':
      system
        .tell({ kind: 'counter', id: command.actor }, { type: 'increment', by: 1 }, { msgId: `inc-${command.seq}` })
        .then(() => reply(undefined), fail);
      break;
    case 'timer':
      system
        .tell(
          { kind: 'counter', id: command.actor },
          { type: 'remindIn', name: `t-${command.seq}`, afterMs: command.afterMs, by: 0 },
          { msgId: `timer-${command.seq}` },
        )
        .then(() => reply(undefined), fail);
      break;
    case 'get':
      system.ask({ kind: 'counter', id: command.actor }, { type: 'get' }).then(reply, fail);
      break;
    case 'stats':
      reply({ timers: store.timerCount(), outbox: store.outboxSize() });
      break;
  }
});
send({ type: 'ready' });
