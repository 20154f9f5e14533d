/**
 * Runs inside a load worker (bench/load-worker.ts): connects sockets like the `connect` job, but counts
 * from each socket's creation the events it receives — `user_online`, `user_offline`, the `online_users`
 * lists and their entries — and times each socket to `connect` and to its `online_users` list.
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';

export interface CountingConnectJob {
  type: 'connect_counting';
  url: string;
  users: Array<{ id: string; token: string }>;
  localAddress?: string;
  concurrency: number;
  /** A socket counts as done when its `online_users` list arrives (true) or at `connect` (false). */
  waitForOnlineUsers: boolean;
  /** Gives up on a socket after this long (connect_error-like failure); default 60 s. */
  timeoutMs?: number;
}

export interface PresenceCounts {
  userOnline: number;
  userOffline: number;
  onlineUsersLists: number;
  onlineUsersEntries: number;
  /** Every event name received, with counts (includes the above). */
  events: Record<string, number>;
  /** Disconnect reasons other than the client's own close. */
  unexpectedDisconnects: Record<string, number>;
  workerRssBytes: number;
}

export interface CountingConnectResult {
  connected: number;
  errors: number;
  errorSamples: string[];
  /** Creation → `connect`, per connected socket (ms). */
  connectMs: number[];
  /** Creation → `online_users`, per socket that received it (ms). */
  onlineUsersMs: number[];
  ms: number;
}

const counts = {
  events: new Map<string, number>(),
  onlineUsersEntries: 0,
  unexpectedDisconnects: new Map<string, number>(),
};

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

/** The counters since the last reset (all sockets of this worker). */
export function presenceCounts(reset = false): PresenceCounts {
  const result: PresenceCounts = {
    userOnline: counts.events.get('user_online') ?? 0,
    userOffline: counts.events.get('user_offline') ?? 0,
    onlineUsersLists: counts.events.get('online_users') ?? 0,
    onlineUsersEntries: counts.onlineUsersEntries,
    events: Object.fromEntries(counts.events),
    unexpectedDisconnects: Object.fromEntries(counts.unexpectedDisconnects),
    workerRssBytes: process.memoryUsage.rss(),
  };
  if (reset) {
    counts.events.clear();
    counts.onlineUsersEntries = 0;
    counts.unexpectedDisconnects.clear();
  }
  return result;
}

/** Connects `job.users` with bounded concurrency; returns the open sockets for the worker to keep. */
export async function connectCounting(
  job: CountingConnectJob,
  onDisconnect: () => void,
): Promise<{ opened: Socket[]; result: CountingConnectResult }> {
  const started = performance.now();
  const timeoutMs = job.timeoutMs ?? 60_000;
  let errors = 0;
  const errorSamples: string[] = [];
  const connectMs: number[] = [];
  const onlineUsersMs: number[] = [];
  const opened: Socket[] = new Array(job.users.length);
  const fail = (message: string) => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(message);
  };
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const user = job.users[i]!;
      const t0 = performance.now();
      const socket = io(job.url, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        timeout: timeoutMs,
        auth: { token: user.token },
        localAddress: job.localAddress,
      } as Parameters<typeof io>[1]);
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        fail(socket.connected ? 'online_users not received in time' : 'connect timed out');
        if (!socket.connected) socket.close();
        done();
      }, timeoutMs);
      socket.onAny((event: string, payload: unknown) => {
        bump(counts.events, event);
        if (event === 'online_users') {
          if (Array.isArray(payload)) counts.onlineUsersEntries += payload.length;
          onlineUsersMs.push(performance.now() - t0);
          if (job.waitForOnlineUsers) done();
        }
      });
      socket.once('connect', () => {
        connectMs.push(performance.now() - t0);
        opened[i] = socket;
        socket.on('disconnect', (reason) => {
          onDisconnect();
          if (reason !== 'io client disconnect') bump(counts.unexpectedDisconnects, reason);
        });
        if (!job.waitForOnlineUsers) done();
      });
      socket.once('connect_error', (err) => {
        fail(err.message);
        socket.close();
        done();
      });
    });
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (next < job.users.length) await one(next++);
    }),
  );
  const kept = opened.filter(Boolean);
  return {
    opened: kept,
    result: {
      connected: kept.length,
      errors,
      errorSamples,
      connectMs,
      onlineUsersMs,
      ms: performance.now() - started,
    },
  };
}
