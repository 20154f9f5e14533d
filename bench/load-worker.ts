/**
 * A load-generator process: holds a share of the client sockets (real socket.io-client, websocket
 * transport, from its own loopback source address) and runs the scenario steps its parent asks for over
 * IPC. Sender and receiver of a pair live in the same worker, so latency is measured on one clock.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import {
  groupClose,
  groupComplete,
  groupConnect,
  type GroupConnectJob,
  groupRun,
  type GroupRunJob,
} from './lib/group-client.js';
import { type CountingConnectJob, connectCounting, presenceCounts } from './lib/presence-counting.js';
import { runSoakJob, type SoakJob } from './lib/soak-client.js';

interface ConnectJob {
  type: 'connect';
  url: string;
  users: Array<{ id: string; token: string }>;
  /** `token` sends auth.token (Parley); `userId` sends auth.userId (the relay). */
  auth: 'token' | 'userId';
  localAddress?: string;
  concurrency: number;
}
interface ThroughputJob {
  type: 'throughput';
  /** Indexes into this worker's sockets: sender, receiver; and the receiver's user id. */
  pairs: Array<{ sender: number; receiver: number; receiverId: string }>;
  window: number;
  warmupMs: number;
  durationMs: number;
  /**
   * Send as the typed client does: each `send_message` with a unique `clientMessageId` (32 hex digits, as
   * `newClientMessageId`) and an acknowledgement callback, whose round trip is measured too.
   */
  ack?: boolean;
}
type Job =
  | ConnectJob
  | ThroughputJob
  | { type: 'count' }
  | { type: 'close' }
  // connections scenario: connect counting presence events, and read (optionally reset) the counters
  | CountingConnectJob
  | { type: 'presence_counts'; reset?: boolean }
  // soak run (bench/soak.ts): start, read the counters, stop
  | SoakJob
  // groups scenario (bench/groups.ts): connect a group's sockets, run, close; `group_complete` is no job
  // but a notice during a run (no reply)
  | GroupConnectJob
  | GroupRunJob
  | { type: 'group_complete'; items: number[] }
  | { type: 'group_close'; tag: string };

let sockets: Socket[] = [];
let disconnects = 0;

const send = (message: unknown) => process.send?.(message);

async function connect(job: ConnectJob) {
  const started = performance.now();
  let errors = 0;
  const errorSamples: string[] = [];
  let next = 0;
  const opened: Socket[] = new Array(job.users.length);
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const user = job.users[i]!;
      const socket = io(job.url, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        timeout: 60_000,
        auth: job.auth === 'token' ? { token: user.token } : { userId: user.id },
        localAddress: job.localAddress,
      } as Parameters<typeof io>[1]);
      socket.once('connect', () => {
        opened[i] = socket;
        socket.on('disconnect', () => disconnects++);
        resolve();
      });
      socket.once('connect_error', (err) => {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(err.message);
        socket.close();
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (next < job.users.length) await one(next++);
    }),
  );
  sockets = sockets.concat(opened.filter(Boolean));
  return { connected: opened.filter(Boolean).length, errors, errorSamples, ms: performance.now() - started };
}

async function throughput(job: ThroughputJob) {
  const latencies: number[] = [];
  const ackLatencies: number[] = [];
  let acked = 0;
  let ackFailures = 0;
  const ackFailureSamples: string[] = [];
  let delivered = 0;
  let measuring = false;
  let running = true;
  const cleanups: Array<() => void> = [];
  job.pairs.forEach((pair, p) => {
    const sender = sockets[pair.sender]!;
    const receiver = sockets[pair.receiver]!;
    let seq = 0;
    const fire = () => {
      if (!running) return;
      const sentAt = performance.now();
      const content = `${p} ${seq++} ${sentAt}`;
      if (!job.ack) {
        sender.emit('send_message', { receiverId: pair.receiverId, content });
        return;
      }
      const clientMessageId = randomBytes(16).toString('hex');
      sender.emit(
        'send_message',
        { receiverId: pair.receiverId, content, clientMessageId },
        (reply: { success?: boolean; message?: unknown }) => {
          if (reply?.success !== true) {
            ackFailures++;
            if (ackFailureSamples.length < 5) ackFailureSamples.push(JSON.stringify(reply).slice(0, 200));
          } else if (measuring) {
            acked++;
            ackLatencies.push(performance.now() - sentAt);
          }
        },
      );
    };
    const onReceive = (message: { content: string }) => {
      const parts = message.content.split(' ');
      if (Number(parts[0]) !== p) return;
      if (measuring) {
        delivered++;
        latencies.push(performance.now() - Number(parts[2]));
      }
      fire();
    };
    receiver.on('receive_message', onReceive);
    cleanups.push(() => receiver.off('receive_message', onReceive));
    for (let w = 0; w < job.window; w++) fire();
  });
  await new Promise((r) => setTimeout(r, job.warmupMs));
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, job.durationMs));
  measuring = false;
  const elapsedMs = performance.now() - started;
  running = false;
  // Let messages in flight drain before the next step.
  await new Promise((r) => setTimeout(r, 500));
  cleanups.forEach((c) => c());
  return { delivered, elapsedMs, latencies, acked, ackFailures, ackFailureSamples, ackLatencies };
}

process.on('message', (job: Job) => {
  const reply = (result: unknown) => send({ ok: true, result });
  const fail = (err: unknown) => send({ ok: false, error: String((err as Error)?.stack ?? err) });
  if (job.type === 'group_complete') groupComplete(job.items);
  else if (job.type === 'group_connect') groupConnect(job).then(reply, fail);
  else if (job.type === 'group_run') {
    groupRun(job, (items) => send({ event: 'group_done', items })).then(reply, fail);
  } else if (job.type === 'group_close') reply(groupClose(job.tag));
  else if (job.type === 'connect') connect(job).then(reply, fail);
  else if (job.type === 'throughput') throughput(job).then(reply, fail);
  else if (job.type === 'connect_counting') {
    connectCounting(job, () => disconnects++).then(({ opened, result }) => {
      sockets = sockets.concat(opened);
      reply(result);
    }, fail);
  } else if (job.type === 'presence_counts') reply(presenceCounts(job.reset));
  else if (job.type === 'soak_start' || job.type === 'soak_stats' || job.type === 'soak_stop') {
    runSoakJob(job).then(reply, fail);
  } else if (job.type === 'count')
    reply({ connected: sockets.filter((s) => s.connected).length, disconnects });
  else if (job.type === 'close') {
    sockets.forEach((s) => s.close());
    sockets = [];
    reply({});
  }
});
