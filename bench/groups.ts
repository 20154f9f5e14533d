/**
 * Scenario 7 — group fan-out against the relay: for groups of N members, every member online with T tabs,
 * K members sending, each keeping W messages in flight (a message is in flight until the last member
 * socket got it). Deliveries per second (every socket that receives `receive_message`), messages per
 * second, the p50 and p99 from a send to its LAST member socket's `receive_message`, and the servers' CPU
 * per delivery. Targets, in rotated order each round: the bare relay in group mode
 * (bench/relay-server.ts: the same room broadcast) and Parley on one process (SQLite, memory); with
 * DATABASE_URL and REDIS_URL also three relay processes on the sharded Redis adapter and three Parley
 * processes on PostgreSQL (a fresh schema) + Redis. A member's tabs go to different processes, so every
 * message crosses Redis.
 *
 * The member sockets are `LightSocket`s (a minimal Socket.IO client: it decodes only the content of a
 * `receive_message`), so that thousands of receiving sockets in two load processes cost the shared two
 * cores as little as possible; the servers see ordinary Socket.IO WebSocket clients. Parley runs with
 * `PRESENCE_SCOPE=contacts` (with `all`, connecting 2,000 sockets is O(N²) presence traffic; presence
 * is connect-time work either way, not measured here).
 */
import { loadavg } from 'node:os';
import { createClient } from 'redis';
import { randomBytes } from 'node:crypto';
import { monotonicMs } from './lib/group-client.js';
import { freshScaledBackends } from './lib/scaled.js';
import { readCpu, type ServerHandle, startParley, startRelay } from './lib/server-process.js';
import { type LatencySummary, machine, median, printTable, summarize, writeResult } from './lib/stats.js';
import { type BenchUser, registerUsers } from './lib/users.js';
import { type LoadWorker, startWorkers } from './lib/workers.js';

export interface GroupsOptions {
  /** Group sizes (members). */
  sizes: number[];
  /** Sockets per member. */
  tabs: number;
  /** Server processes: 1, and 3 (with `databaseUrl` and `redisUrl`). */
  processCounts: number[];
  rounds: number;
  warmupMs: number;
  durationMs: number;
  workers: number;
  /** Senders and messages in flight per sender, by group size (defaults in `load`). */
  senders?: number;
  window?: number;
  databaseUrl?: string;
  redisUrl?: string;
}

/** Default load per group size: enough messages in flight to keep the server busy, few enough to keep
 * the queue (and so the latency) short when each message is thousands of deliveries. */
const load = (members: number, options: GroupsOptions) => ({
  senders: Math.min(members, options.senders ?? (members <= 100 ? 10 : 2)),
  window: options.window ?? (members <= 10 ? 2 : 1),
});

interface Target {
  name: string;
  kind: 'relay' | 'parley';
  processes: number;
  servers: ServerHandle[];
  /** The members (first `size` of them form the group of that size). */
  users: BenchUser[];
  groups: Map<number, { id: string; title: string }>;
  stop(): Promise<void>;
}

interface RunResult extends LatencySummary {
  target: string;
  kind: string;
  processes: number;
  members: number;
  round: number;
  deliveriesPerSec: number;
  msgsPerSec: number;
  cpuMicrosPerDelivery: number;
  redisMicrosPerDelivery: number;
  incomplete: number;
}

async function createGroup(url: string, owner: BenchUser, members: BenchUser[], title: string) {
  const res = await fetch(`${url}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
    body: JSON.stringify({ type: 'group', title, memberIds: members.map((m) => m.id) }),
  });
  if (res.status !== 201) throw new Error(`create group failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { conversation: { _id: string } };
  return body.conversation._id;
}

async function redisPid(url: string): Promise<number> {
  const client = createClient({ url });
  await client.connect();
  const info = await client.info('server');
  await client.close();
  return Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0);
}

const title = (size: number) => `Bench group of ${size}`;

async function startTargets(options: GroupsOptions): Promise<Target[]> {
  const maxSize = Math.max(...options.sizes);
  const targets: Target[] = [];
  const relayGroups = new Map(options.sizes.map((n) => [n, { id: `g${n}`, title: title(n) }]));
  const relayUsers = Array.from({ length: maxSize }, (_, i) => ({ id: `relay-user-${i}`, token: '' }));
  const parleyGroups = async (url: string, users: BenchUser[]) => {
    const groups = new Map<number, { id: string; title: string }>();
    for (const n of options.sizes) {
      const id = await createGroup(url, users[0]!, users.slice(1, n), title(n));
      groups.set(n, { id, title: title(n) });
    }
    return groups;
  };
  for (const processes of options.processCounts) {
    if (processes === 1) {
      const relay = await startRelay();
      targets.push({
        name: 'relay',
        kind: 'relay',
        processes,
        servers: [relay],
        users: relayUsers,
        groups: relayGroups,
        stop: () => relay.stop(),
      });
      const parley = await startParley({ env: { PRESENCE_SCOPE: 'contacts' } });
      const started = monotonicMs();
      const users = await registerUsers(parley.url, maxSize);
      console.log(`  registered ${maxSize} users in ${((monotonicMs() - started) / 1000).toFixed(1)} s`);
      targets.push({
        name: 'parley',
        kind: 'parley',
        processes,
        servers: [parley],
        users,
        groups: await parleyGroups(parley.url, users),
        stop: () => parley.stop(),
      });
      continue;
    }
    if (!options.databaseUrl || !options.redisUrl) continue;
    const prefix = `parley_bench_relay_${randomBytes(4).toString('hex')}:`;
    const relays: ServerHandle[] = [];
    for (let i = 0; i < processes; i++) {
      relays.push(
        await startRelay({ REDIS_URL: options.redisUrl, REDIS_PREFIX: prefix, RELAY_ID_BASE: String(i) }),
      );
    }
    targets.push({
      name: `relay×${processes}`,
      kind: 'relay',
      processes,
      servers: relays,
      users: relayUsers,
      groups: relayGroups,
      stop: async () => void (await Promise.all(relays.map((s) => s.stop()))),
    });
    const backends = await freshScaledBackends(options.databaseUrl, options.redisUrl);
    const servers: ServerHandle[] = [];
    const env = { ...backends.env, REDIS_ADAPTER: 'sharded', PRESENCE_SCOPE: 'contacts' };
    for (let i = 0; i < processes; i++) servers.push(await startParley({ env }));
    const users = await registerUsers(servers[0]!.url, maxSize);
    targets.push({
      name: `parley×${processes}`,
      kind: 'parley',
      processes,
      servers,
      users,
      groups: await parleyGroups(servers[0]!.url, users),
      stop: async () => {
        await Promise.all(servers.map((s) => s.stop()));
        await backends.drop();
      },
    });
  }
  return targets;
}

/** Where each socket of a group goes: socket k is tab k % tabs of member ⌊k / tabs⌋. */
interface Layout {
  /** Per worker: its sockets (global index k) in the order they were connected. */
  local: number[][];
}

async function connectGroup(target: Target, size: number, tabs: number, workers: LoadWorker[]) {
  const group = target.groups.get(size)!;
  const tag = `${target.name}-${size}`;
  const serverOf = (k: number) => {
    const member = Math.floor(k / tabs);
    return target.servers[(member + (k % tabs)) % target.servers.length]!;
  };
  const auth = (k: number) => {
    const user = target.users[Math.floor(k / tabs)]!;
    return target.kind === 'relay'
      ? { userId: user.id, rooms: [group.id], titles: { [group.id]: group.title } }
      : { token: user.token };
  };
  const layout: Layout = { local: workers.map(() => []) };
  const started = monotonicMs();
  await Promise.all(
    workers.map(async (w, i) => {
      const mine = Array.from({ length: size * tabs }, (_, k) => k).filter((k) => k % workers.length === i);
      for (const server of target.servers) {
        const subset = mine.filter((k) => serverOf(k) === server);
        if (subset.length === 0) continue;
        const r = await w.call({
          type: 'group_connect',
          tag,
          url: server.url,
          auths: subset.map(auth),
          localAddress: w.localAddress,
          concurrency: 50,
        });
        if (r.errors > 0) throw new Error(`${tag}: connect errors: ${r.errors} ${r.errorSamples.join('; ')}`);
        layout.local[i]!.push(...subset);
      }
    }),
  );
  const ms = monotonicMs() - started;
  console.log(`  ${tag}: ${size * tabs} sockets connected in ${(ms / 1000).toFixed(1)} s`);
  return { tag, group, layout };
}

async function runGroup(
  target: Target,
  connected: Awaited<ReturnType<typeof connectGroup>>,
  size: number,
  tabs: number,
  workers: LoadWorker[],
  options: GroupsOptions,
  redis: number,
) {
  const { senders, window } = load(size, options);
  const { tag, group, layout } = connected;
  const memberOf = (k: number) => Math.floor(k / tabs);
  // Per worker: how many of its sockets receive each sender's messages.
  const expected = layout.local.map((ks) => {
    const e: Record<number, number> = {};
    for (let s = 0; s < senders; s++) e[s] = ks.filter((k) => memberOf(k) !== s).length;
    return e;
  });
  const reportsNeeded = Array.from(
    { length: senders },
    (_, s) => expected.filter((e) => (e[s] ?? 0) > 0).length,
  );
  // Sender s sends from its first tab (socket s * tabs), in whichever worker holds it.
  const senderWorker = new Map<number, number>();
  const senderJobs = layout.local.map((ks, i) =>
    ks.flatMap((k, at) => {
      if (k % tabs !== 0 || memberOf(k) >= senders) return [];
      senderWorker.set(memberOf(k), i);
      return [{ socket: at, sender: memberOf(k), conversationId: group.id }];
    }),
  );
  const runStart = monotonicMs();
  const windowStart = runStart + options.warmupMs;
  const windowEnd = windowStart + options.durationMs;
  const latencies: number[] = [];
  const inFlight = new Map<number, { reports: number; last: number }>();
  const completions: number[][] = workers.map(() => []);
  let flushing = false;
  const flush = () => {
    flushing = false;
    completions.forEach((items, i) => {
      if (items.length === 0) return;
      workers[i]!.notify({ type: 'group_complete', items });
      completions[i] = [];
    });
  };
  for (const w of workers) {
    w.onEvent = (m) => {
      if (m.event !== 'group_done') return;
      const items = m.items as number[];
      for (let j = 0; j < items.length; j += 4) {
        const s = items[j]!;
        const seq = items[j + 1]!;
        const sentAt = items[j + 2]!;
        const last = items[j + 3]!;
        const key = s * 2 ** 32 + seq;
        const entry = inFlight.get(key) ?? { reports: 0, last: 0 };
        entry.reports++;
        entry.last = Math.max(entry.last, last);
        if (entry.reports < reportsNeeded[s]!) {
          inFlight.set(key, entry);
          continue;
        }
        inFlight.delete(key);
        if (sentAt >= windowStart && sentAt < windowEnd) latencies.push(entry.last - sentAt);
        completions[senderWorker.get(s)!]!.push(s, seq);
      }
      if (!flushing) {
        flushing = true;
        setImmediate(flush);
      }
    };
  }
  const cpu = () => target.servers.reduce((t, s) => t + s.cpuSeconds(), 0);
  const cpus = { start: NaN, end: NaN, redisStart: NaN, redisEnd: NaN };
  const timers = [
    setTimeout(() => {
      cpus.start = cpu();
      cpus.redisStart = readCpu(redis);
    }, options.warmupMs),
    setTimeout(() => {
      cpus.end = cpu();
      cpus.redisEnd = readCpu(redis);
    }, options.warmupMs + options.durationMs),
  ];
  const results = await Promise.all(
    workers.map((w, i) =>
      w.call({
        type: 'group_run',
        tag,
        senders: senderJobs[i],
        expected: expected[i],
        window,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        drainMs: 5000,
      }),
    ),
  );
  timers.forEach(clearTimeout);
  for (const w of workers) w.onEvent = undefined;
  const delivered = results.reduce((n, r) => n + r.delivered, 0);
  const elapsed = Math.max(...results.map((r) => r.elapsedMs));
  const receivers = (size - 1) * tabs;
  return {
    deliveriesPerSec: (delivered / elapsed) * 1000,
    msgsPerSec: (delivered / receivers / elapsed) * 1000,
    latency: summarize(latencies),
    cpuMicrosPerDelivery: ((cpus.end - cpus.start) * 1e6) / delivered,
    redisMicrosPerDelivery:
      target.processes > 1 ? ((cpus.redisEnd - cpus.redisStart) * 1e6) / delivered : NaN,
    incomplete: inFlight.size + results.reduce((n, r) => n + r.incomplete, 0),
    senders,
    window,
  };
}

/** Round r runs the targets rotated by r - 1. */
const rotated = <T>(list: T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length] as T);

export async function groupsScenario(options: GroupsOptions) {
  const workers = startWorkers(options.workers);
  const loadBefore = loadavg();
  const runs: RunResult[] = [];
  const rows: Array<Record<string, unknown>> = [];
  const redis = options.redisUrl ? await redisPid(options.redisUrl) : 0;
  const targets = await startTargets(options);
  try {
    for (const size of options.sizes) {
      const connected = new Map<Target, Awaited<ReturnType<typeof connectGroup>>>();
      for (const target of targets) {
        connected.set(target, await connectGroup(target, size, options.tabs, workers));
      }
      let shape = '';
      for (let round = 1; round <= options.rounds; round++) {
        for (const target of rotated(targets, round - 1)) {
          const r = await runGroup(
            target,
            connected.get(target)!,
            size,
            options.tabs,
            workers,
            options,
            redis,
          );
          shape = `${r.senders}×${r.window}`;
          runs.push({
            target: target.name,
            kind: target.kind,
            processes: target.processes,
            members: size,
            round,
            deliveriesPerSec: r.deliveriesPerSec,
            msgsPerSec: r.msgsPerSec,
            cpuMicrosPerDelivery: r.cpuMicrosPerDelivery,
            redisMicrosPerDelivery: r.redisMicrosPerDelivery,
            incomplete: r.incomplete,
            ...r.latency,
          });
          console.log(
            `  ${target.name.padEnd(9)} members=${size} round ${round}: ${r.deliveriesPerSec.toFixed(0)} deliveries/s, ` +
              `${r.msgsPerSec.toFixed(0)} msgs/s, last-socket p50 ${r.latency.p50.toFixed(1)} ms, ` +
              `p99 ${r.latency.p99.toFixed(1)} ms, ${r.cpuMicrosPerDelivery.toFixed(2)} µs CPU/delivery` +
              (target.processes > 1 ? ` (Redis ${r.redisMicrosPerDelivery.toFixed(2)})` : '') +
              (r.incomplete > 0 ? `, ${r.incomplete} incomplete` : ''),
          );
        }
      }
      for (const target of targets) {
        await Promise.all(
          workers.map((w) => w.call({ type: 'group_close', tag: connected.get(target)!.tag })),
        );
      }
      for (const processes of options.processCounts) {
        const of = (kind: string) =>
          runs.filter((r) => r.members === size && r.processes === processes && r.kind === kind);
        if (of('parley').length === 0) continue;
        const med = (kind: string, k: keyof RunResult) => median(of(kind).map((r) => Number(r[k])));
        const ratios = of('parley').map(
          (p) => p.deliveriesPerSec / (of('relay').find((r) => r.round === p.round)?.deliveriesPerSec ?? NaN),
        );
        rows.push({
          members: size,
          tabs: options.tabs,
          processes,
          'senders × window': shape,
          'relay deliveries/s': med('relay', 'deliveriesPerSec'),
          'Parley deliveries/s': med('parley', 'deliveriesPerSec'),
          ratio: med('parley', 'deliveriesPerSec') / med('relay', 'deliveriesPerSec'),
          'per-round ratios':
            ratios.length > 1
              ? `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`
              : (ratios[0] ?? NaN).toFixed(2),
          'relay msgs/s': med('relay', 'msgsPerSec'),
          'Parley msgs/s': med('parley', 'msgsPerSec'),
          'relay p50 ms': med('relay', 'p50'),
          'Parley p50 ms': med('parley', 'p50'),
          'relay p99 ms': med('relay', 'p99'),
          'Parley p99 ms': med('parley', 'p99'),
          'relay µs CPU/delivery': med('relay', 'cpuMicrosPerDelivery'),
          'Parley µs CPU/delivery': med('parley', 'cpuMicrosPerDelivery'),
          // Every row has every column (the table takes its columns from the first row).
          'Redis µs/delivery relay / Parley':
            processes > 1
              ? `${med('relay', 'redisMicrosPerDelivery').toFixed(2)} / ${med('parley', 'redisMicrosPerDelivery').toFixed(2)}`
              : '—',
        });
      }
    }
  } finally {
    workers.forEach((w) => w.stop());
    await Promise.all(targets.map((t) => t.stop()));
  }
  const loadAfter = loadavg();
  printTable(
    `Groups: fan-out against the relay, ${options.tabs} tabs per member — medians of ${options.rounds} ` +
      `round(s); 1-min load ${loadBefore[0]?.toFixed(1)} → ${loadAfter[0]?.toFixed(1)}`,
    rows,
  );
  writeResult('groups', {
    machine: await machine(),
    options: {
      ...options,
      databaseUrl: options.databaseUrl && '(set)',
      redisUrl: options.redisUrl && '(set)',
    },
    loadAverage: { before: loadBefore, after: loadAfter },
    rows,
    runs,
  });
  return rows;
}
