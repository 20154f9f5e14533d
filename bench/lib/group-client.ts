/**
 * The load worker's side of the group benchmark (bench/groups.ts): holds a share of a group's member
 * sockets (`LightSocket`s), makes some of them send, and counts every `receive_message`.
 *
 * A message's content is `<sender> <seq> <sent at>`, the send time on the machine's monotonic clock
 * (`process.hrtime`, the same in every process), so a receiver in any load process measures from it.
 * When every local socket expected to receive a message has it, the worker reports
 * `[sender, seq, sentAt, last receive]` to its parent (batched per event-loop turn); the parent tells the
 * sender's worker once every worker has reported (`group_complete`), and the sender sends its next one:
 * each sender keeps `window` messages in flight, a message being in flight until its last socket got it.
 */
import { LightSocket } from './light-socket.js';

export interface GroupConnectJob {
  type: 'group_connect';
  /** Which set of sockets (a target of the run): the run and close jobs name it. */
  tag: string;
  url: string;
  /** The namespace CONNECT's `auth` of each socket, in order. */
  auths: unknown[];
  localAddress?: string;
  concurrency: number;
}

export interface GroupRunJob {
  type: 'group_run';
  tag: string;
  /** The local sockets that send: their index among the tag's sockets, the sender's number, the group. */
  senders: Array<{ socket: number; sender: number; conversationId: string }>;
  /** Per sender number: how many of this worker's sockets receive its messages. */
  expected: Record<number, number>;
  window: number;
  warmupMs: number;
  durationMs: number;
  /** How long after the measured window to wait for messages in flight (then counted as lost). */
  drainMs: number;
}

export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

const socketSets = new Map<string, LightSocket[]>();
/** The run under way: `complete` reaches its senders. */
let onComplete: ((items: number[]) => void) | undefined;

export async function groupConnect(job: GroupConnectJob) {
  const started = monotonicMs();
  const opened: LightSocket[] = new Array(job.auths.length);
  let errors = 0;
  const errorSamples: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (next < job.auths.length) {
        const i = next++;
        try {
          opened[i] = await LightSocket.connect(job.url, job.auths[i], {
            readyEvent: 'online_users',
            ...(job.localAddress ? { localAddress: job.localAddress } : {}),
          });
        } catch (err) {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(String((err as Error).message));
        }
      }
    }),
  );
  socketSets.set(job.tag, (socketSets.get(job.tag) ?? []).concat(opened.filter(Boolean)));
  return { connected: opened.filter(Boolean).length, errors, errorSamples, ms: monotonicMs() - started };
}

export function groupClose(tag: string) {
  const sockets = socketSets.get(tag) ?? [];
  sockets.forEach((s) => s.close());
  socketSets.delete(tag);
  return { closed: sockets.length };
}

/** `[sender, seq, …]` pairs whose messages every receiver has: their senders send the next. */
export function groupComplete(items: number[]): void {
  onComplete?.(items);
}

const CONTENT = '"content":"';

export async function groupRun(job: GroupRunJob, report: (items: number[]) => void) {
  const sockets = socketSets.get(job.tag) ?? [];
  let delivered = 0;
  let measuring = false;
  let running = true;
  let lastReceive = monotonicMs();
  /** Per message `sender * 2^32 + seq`: how many local sockets got it, and when the latest did. */
  const counts = new Map<number, number>();
  let pending: number[] = [];
  let flushing = false;
  const flush = () => {
    flushing = false;
    const items = pending;
    pending = [];
    if (items.length > 0) report(items);
  };
  const onReceive = (raw: string) => {
    const now = monotonicMs();
    lastReceive = now;
    if (measuring) delivered++;
    const from = raw.indexOf(CONTENT) + CONTENT.length;
    const end = raw.indexOf('"', from);
    const [s, q, t] = raw.slice(from, end).split(' ');
    const sender = Number(s);
    const seq = Number(q);
    const key = sender * 2 ** 32 + seq;
    const n = (counts.get(key) ?? 0) + 1;
    if (n < (job.expected[sender] ?? 0)) {
      counts.set(key, n);
      return;
    }
    counts.delete(key);
    pending.push(sender, seq, Number(t), now);
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  };
  for (const socket of sockets) socket.on('receive_message', onReceive);

  const fire = new Map<number, () => void>();
  for (const s of job.senders) {
    const socket = sockets[s.socket];
    if (!socket) throw new Error(`no socket ${s.socket} in ${job.tag}`);
    let seq = 0;
    const send = () => {
      if (!running) return;
      socket.emit('send_message', {
        conversationId: s.conversationId,
        content: `${s.sender} ${seq++} ${monotonicMs().toFixed(3)}`,
      });
    };
    fire.set(s.sender, send);
  }
  onComplete = (items) => {
    for (let i = 0; i < items.length; i += 2) fire.get(items[i] as number)?.();
  };
  for (const send of fire.values()) for (let w = 0; w < job.window; w++) send();

  await new Promise((r) => setTimeout(r, job.warmupMs));
  measuring = true;
  const started = monotonicMs();
  await new Promise((r) => setTimeout(r, job.durationMs));
  measuring = false;
  const elapsedMs = monotonicMs() - started;
  running = false;
  // Let messages in flight arrive (until nothing came for 1 s, or `drainMs`).
  const deadline = monotonicMs() + job.drainMs;
  while (monotonicMs() < deadline && monotonicMs() - lastReceive < 1000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  flush();
  onComplete = undefined;
  for (const socket of sockets) socket.off('receive_message');
  return { delivered, elapsedMs, incomplete: counts.size };
}
