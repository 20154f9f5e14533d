/**
 * Runs inside a load worker (bench/load-worker.ts) for the soak run (bench/soak.ts): keeps about
 * `sockets` real socket.io-client connections open as random users of the population and, until stopped,
 * sends messages with acks, marks some received messages read, types (some typing left to time out),
 * asks for history and unread counts, and churns: every `churnEveryMs` a fraction of the sockets closes
 * (after its acks are in) and as many new ones connect. Counts every outcome; `soak_stats` reads them.
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';

export interface SoakStartJob {
  type: 'soak_start';
  url: string;
  /** The whole population: identities for new sockets and receivers of messages and typing. */
  users: Array<{ id: string; token: string }>;
  localAddress?: string;
  /** Open sockets this worker keeps. */
  sockets: number;
  /** This worker's share of the message rate. */
  msgsPerSec: number;
  churnEveryMs: number;
  churnFraction: number;
  /** Sends not acknowledged within this time count as unanswered. */
  ackTimeoutMs: number;
}
export type SoakJob = SoakStartJob | { type: 'soak_stats' } | { type: 'soak_stop' };

/** Counters since the start; `ackMs` holds send→ack latencies since the previous `soak_stats`. */
export interface SoakCounters {
  open: number;
  connects: number;
  connectErrors: number;
  clientCloses: number;
  unexpectedDisconnects: number;
  disconnectReasons: Record<string, number>;
  sent: number;
  acked: number;
  sendFailed: number;
  unanswered: number;
  received: number;
  /** Other requests with acks (read, typing, history, unread): sent, answered ok, failed or unanswered. */
  requests: Record<string, { sent: number; ok: number; failed: number }>;
  errorEvents: number;
  presenceEvents: number;
  errorSamples: string[];
  ackMs: number[];
}

interface Slot {
  socket: Socket;
  userId: string;
  inflight: number;
  closing: boolean;
}

const c: SoakCounters = {
  open: 0,
  connects: 0,
  connectErrors: 0,
  clientCloses: 0,
  unexpectedDisconnects: 0,
  disconnectReasons: {},
  sent: 0,
  acked: 0,
  sendFailed: 0,
  unanswered: 0,
  received: 0,
  requests: {},
  errorEvents: 0,
  presenceEvents: 0,
  errorSamples: [],
  ackMs: [],
};
let job: SoakStartJob | undefined;
let slots: Slot[] = [];
let pendingConnects = 0;
let running = false;
const timers = new Set<NodeJS.Timeout>();
const reads: Array<{ slot: Slot; messageId: string }> = [];
const budget = { msg: 0, typing: 0, history: 0, unread: 0 };
let seq = 0;
let lastTick = 0;

const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)] as T;
const sample = (what: string) => {
  if (c.errorSamples.length < 20) c.errorSamples.push(what.slice(0, 200));
};
const later = (ms: number, fn: () => void) => {
  const t = setTimeout(() => {
    timers.delete(t);
    fn();
  }, ms);
  timers.add(t);
};
const usable = () => slots.filter((s) => s.socket.connected && !s.closing);
const otherUser = (self: string) => {
  for (;;) {
    const u = pick(job!.users);
    if (u.id !== self) return u.id;
  }
};

/** Emits with an ack and a timeout; counts the outcome under `kind` (or as a message for send). */
function request(slot: Slot, kind: string, event: string, payload: unknown, onOk?: (res: any) => void) {
  const r = (c.requests[kind] ??= { sent: 0, ok: 0, failed: 0 });
  r.sent++;
  slot.inflight++;
  slot.socket.timeout(job!.ackTimeoutMs).emit(event, payload, (err: Error | null, res: any) => {
    slot.inflight--;
    if (err || res?.success === false) {
      r.failed++;
      sample(`${event}: ${err ? err.message : res.message}`);
    } else {
      r.ok++;
      onOk?.(res);
    }
  });
}

function sendMessage(slot: Slot) {
  const started = performance.now();
  const content = `soak ${seq++} ${'x'.repeat(Math.floor(Math.random() * 190))}`;
  c.sent++;
  slot.inflight++;
  slot.socket
    .timeout(job!.ackTimeoutMs)
    .emit(
      'send_message',
      { receiverId: otherUser(slot.userId), content, clientMessageId: `${process.pid}-${seq}` },
      (err: Error | null, res: any) => {
        slot.inflight--;
        if (err) {
          c.unanswered++;
          sample(`send_message: ${err.message}`);
        } else if (res?.success !== true || !res.message?._id) {
          c.sendFailed++;
          sample(`send_message: ${JSON.stringify(res)}`);
        } else {
          c.acked++;
          c.ackMs.push(performance.now() - started);
        }
      },
    );
}

function connect() {
  const user = pick(job!.users);
  pendingConnects++;
  const socket = io(job!.url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: 30_000,
    auth: { token: user.token },
    localAddress: job!.localAddress,
  } as Parameters<typeof io>[1]);
  const slot: Slot = { socket, userId: user.id, inflight: 0, closing: false };
  return new Promise<void>((resolve) => {
    socket.once('connect', () => {
      pendingConnects--;
      c.connects++;
      slots.push(slot);
      request(slot, 'unread', 'get_unread_count', {});
      resolve();
    });
    socket.once('connect_error', (err) => {
      pendingConnects--;
      c.connectErrors++;
      sample(`connect_error: ${err.message}`);
      socket.close();
      resolve();
    });
    socket.on('disconnect', (reason) => {
      slots = slots.filter((s) => s !== slot);
      if (reason === 'io client disconnect') return;
      c.unexpectedDisconnects++;
      c.disconnectReasons[reason] = (c.disconnectReasons[reason] ?? 0) + 1;
    });
    socket.on('receive_message', (m: { _id: string }) => {
      c.received++;
      if (Math.random() < 0.3 && reads.length < 1000) reads.push({ slot, messageId: m._id });
    });
    socket.on('user_online', () => c.presenceEvents++);
    socket.on('user_offline', () => c.presenceEvents++);
    socket.on('error', (e: { message?: string }) => {
      c.errorEvents++;
      sample(`error event: ${e?.message}`);
    });
  });
}

/** Stops sending on the socket, waits for its acks (at most the ack timeout), then closes it. */
async function closeGracefully(slot: Slot) {
  slot.closing = true;
  const deadline = performance.now() + job!.ackTimeoutMs + 1000;
  while (slot.inflight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (slot.socket.connected) c.clientCloses++;
  slot.socket.close();
  slots = slots.filter((s) => s !== slot);
}

/** One step of the load, about every 100 ms; the budgets follow the time actually elapsed. */
function tick() {
  const open = usable();
  const now = performance.now();
  const rate = (job!.msgsPerSec * (now - lastTick)) / 1000;
  lastTick = now;
  // Other traffic is proportional to the message rate: typing ¼, history and unread 1/15 each.
  budget.msg += rate;
  budget.typing += rate / 4;
  budget.history += rate / 15;
  budget.unread += rate / 15;
  // After a stall (or with no socket open) send at most one second's worth at once.
  for (const key of Object.keys(budget) as Array<keyof typeof budget>) {
    budget[key] = Math.min(budget[key], job!.msgsPerSec);
  }
  if (open.length === 0) return;
  for (; budget.msg >= 1; budget.msg--) sendMessage(pick(open));
  for (; budget.typing >= 1; budget.typing--) {
    const slot = pick(open);
    const receiverId = otherUser(slot.userId);
    request(slot, 'typing', 'typing_start', { receiverId });
    // Most typing ends with typing_stop; the rest is left to the server's typing timeout.
    if (Math.random() < 0.7) {
      later(500 + Math.random() * 1500, () => {
        if (slot.socket.connected && !slot.closing) request(slot, 'typing', 'typing_stop', { receiverId });
      });
    }
  }
  for (; budget.history >= 1; budget.history--) {
    const slot = pick(open);
    const page = Math.random() < 0.8 ? 1 : 2;
    request(slot, 'history', 'get_message_history', { otherUserId: otherUser(slot.userId), page, limit: 20 });
  }
  for (; budget.unread >= 1; budget.unread--) request(pick(open), 'unread', 'get_unread_count', {});
  for (let n = reads.length; n > 0; n--) {
    const { slot, messageId } = reads.shift()!;
    if (slot.socket.connected && !slot.closing) request(slot, 'read', 'mark_message_read', { messageId });
  }
  // Replace sockets that dropped, as a reconnecting client would.
  for (let missing = job!.sockets - slots.length - pendingConnects; missing > 0; missing--) void connect();
}

function churn() {
  const open = usable();
  const count = Math.max(1, Math.round(open.length * job!.churnFraction));
  for (let i = 0; i < count && open.length > 0; i++) {
    const slot = open.splice(Math.floor(Math.random() * open.length), 1)[0]!;
    void closeGracefully(slot);
    void connect();
  }
}

async function start(j: SoakStartJob) {
  job = j;
  // Ramp up 20 at a time before the load starts.
  for (let i = 0; i < j.sockets; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, j.sockets - i) }, connect));
  }
  running = true;
  lastTick = performance.now();
  const loop = () => {
    if (!running) return;
    tick();
    later(100, loop);
  };
  const churnLoop = () => {
    if (!running) return;
    churn();
    later(j.churnEveryMs, churnLoop);
  };
  loop();
  later(j.churnEveryMs, churnLoop);
  return stats();
}

function stats(): SoakCounters {
  const snapshot = { ...c, open: slots.filter((s) => s.socket.connected).length };
  c.ackMs = [];
  return snapshot;
}

async function stop() {
  running = false;
  timers.forEach(clearTimeout);
  timers.clear();
  while (pendingConnects > 0) await new Promise((r) => setTimeout(r, 50));
  await Promise.all(slots.map(closeGracefully));
  return stats();
}

export function runSoakJob(j: SoakJob): Promise<SoakCounters> {
  if (j.type === 'soak_start') return start(j);
  if (j.type === 'soak_stats') return Promise.resolve(stats());
  return stop();
}
