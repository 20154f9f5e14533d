/**
 * Scenario 2 — connections: ramp to `sockets` authenticated idle sockets on one process
 * (PRESENCE_SCOPE=contacts, every user with exactly one contact), then hold them idle for longer than the
 * ping interval. Connect rate, RSS and heap per socket, event-loop delay, errors and disconnects, from
 * the server's own GET /metrics sampled every second. Then the PRESENCE broadcast cost: the same ramp to
 * smaller counts with PRESENCE_SCOPE=all (every connect tells every other socket, O(N²) in a ramp) next to
 * PRESENCE_SCOPE=contacts at the same count, with the presence events the clients received.
 *
 * A process may hold about 20,000 open files here, so the full run targets 19,000 sockets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLite } from '../src/store/sqlite-driver.js';
import { idOf } from '../src/store/schema.js';
import { recountMembers } from './lib/seed-messages.js';
import type { CountingConnectResult, PresenceCounts } from './lib/presence-counting.js';
import { type ServerHandle, startParley } from './lib/server-process.js';
import { type LatencySummary, machine, printTable, summarize, writeResult } from './lib/stats.js';
import { type BenchUser, seedUsers } from './lib/users.js';
import { type LoadWorker, startWorkers } from './lib/workers.js';

export interface ConnectionsOptions {
  /** Sockets in the main ramp (PRESENCE_SCOPE=contacts); 19,000 for the full run. */
  sockets: number;
  /** Socket counts at which PRESENCE_SCOPE=all is compared with contacts, e.g. [1000, 3000]. */
  allScopeSockets: number[];
  workers: number;
  /** Idle hold after the main ramp; longer than the 25 s ping interval. */
  holdMs: number;
  /** Connections in flight per worker. */
  concurrency: number;
}

type Scope = 'all' | 'contacts';

/** One scrape of GET /metrics. Lag figures cover the interval since the previous scrape. */
export interface Sample {
  /** Seconds since the ramp started (negative before it). */
  t: number;
  phase: 'before' | 'ramp' | 'idle';
  connected: number;
  rssMiB: number;
  heapUsedMiB: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Server CPU over the interval, % of one core. */
  cpuPct: number;
  cpuSeconds: number;
  /** Open file descriptors of the server (every socket holds one) and its limit. */
  openFds: number;
  maxFds: number;
}

interface RampResult {
  scope: Scope;
  sockets: number;
  connected: number;
  errors: number;
  errorSamples: string[];
  /** First socket created → last socket's `online_users` received. */
  rampMs: number;
  socketsPerSec: number;
  connectMs: LatencySummary;
  onlineUsersMs: LatencySummary;
  before: Sample;
  atFull: Sample;
  atEnd: Sample;
  rssPerSocketKiB: number;
  heapPerSocketKiB: number;
  rssPerSocketKiBAtEnd: number;
  heapPerSocketKiBAtEnd: number;
  lagP99MaxRampMs: number;
  lagMaxRampMs: number;
  lagP99MaxIdleMs: number;
  lagMaxIdleMs: number;
  /** Server CPU from the ramp's start until the presence events stopped arriving, per socket. */
  serverCpuMsPerSocket: number;
  /** Presence events received by all clients (since the ramp started, until the end of the hold). */
  presence: Omit<PresenceCounts, 'workerRssBytes'> & {
    expectedUserOnline: number;
    expectedOnlineUsersEntries: number;
  };
  /** Until the clients' presence counters stopped moving, after the last socket was ready. */
  drainMs: number;
  holdMs: number;
  /** Sockets that dropped during the hold (any reason but the client's own close), and why. */
  idleDisconnects: number;
  disconnectReasons: Record<string, number>;
  connectedAtEnd: { server: number; clients: number };
  workerRssMiB: number[];
  serverStopMs: number;
  /** The server's own log (warn and above) from the run, last lines. */
  serverLog: string;
  /** 1-minute load average of the machine before the ramp and after the hold (other work competes). */
  loadAverage: { before: number; after: number };
  samples: Sample[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 2 ** 20;

/** Unlabelled series of a Prometheus text exposition. */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && !m[2]) values.set(m[1]!, Number(m[3]));
  }
  return values;
}

/** Scrapes the server's /metrics about once a second; phases are assigned from the ramp's marks. */
class MetricsSampler {
  readonly raw: Array<Omit<Sample, 't' | 'phase'> & { at: number; from: number }> = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private last: { at: number; cpu: number } | undefined;
  rampStart = Infinity;
  rampEnd = Infinity;

  constructor(private readonly url: string) {}

  /** One scrape; also resets the server's event-loop delay histogram. */
  async take() {
    const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(15_000) });
    const m = parseMetrics(await res.text());
    const at = performance.now();
    const cpu = m.get('process_cpu_seconds_total') ?? NaN;
    const sample = {
      at,
      from: this.last?.at ?? at,
      connected: m.get('parley_connected_sockets') ?? NaN,
      rssMiB: (m.get('process_resident_memory_bytes') ?? NaN) / MiB,
      heapUsedMiB: (m.get('nodejs_heap_size_used_bytes') ?? NaN) / MiB,
      lagP99Ms: (m.get('nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000,
      lagMaxMs: (m.get('nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000,
      cpuPct: this.last ? ((cpu - this.last.cpu) / ((at - this.last.at) / 1000)) * 100 : NaN,
      cpuSeconds: cpu,
      openFds: m.get('process_open_fds') ?? NaN,
      maxFds: m.get('process_max_fds') ?? NaN,
    };
    this.last = { at, cpu };
    this.raw.push(sample);
    return sample;
  }

  start(intervalMs = 1000) {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const began = performance.now();
        try {
          await this.take();
        } catch (err) {
          console.warn(`  metrics scrape failed: ${(err as Error).message}`);
        }
        await sleep(Math.max(0, intervalMs - (performance.now() - began)));
      }
    })();
  }

  async stop() {
    this.running = false;
    await this.loop;
  }

  /** Samples with phases: an interval that overlaps the ramp is `ramp` (its lag happened then). */
  samples(): Sample[] {
    return this.raw.map(({ at, from, ...rest }) => ({
      t: Math.round((at - this.rampStart) / 100) / 10,
      phase: at <= this.rampStart ? 'before' : from < this.rampEnd ? 'ramp' : 'idle',
      ...rest,
    }));
  }
}

/**
 * A fresh DATA_DIR with `count` seeded users (minted tokens) and one message between each pair of
 * consecutive users (0-1, 2-3, …) with its two contact rows, shaped as KyselyStore writes them: every
 * user has exactly one contact.
 */
async function seedPairs(count: number): Promise<{ dataDir: string; users: BenchUser[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-conn-'));
  try {
    return { dataDir, users: await seedPairsInto(dataDir, count) };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function seedPairsInto(dataDir: string, count: number): Promise<BenchUser[]> {
  const users = await seedUsers(dataDir, count);
  const db = new SQLite(join(dataDir, 'parley.db'));
  const conversation = db.prepare(
    `insert into conversations (type, title, direct_low, direct_high, created_by, created_at, member_count)
     values ('direct', null, ?, ?, ?, ?, 2) returning id`,
  );
  const member = db.prepare(
    `insert into conversation_members (conversation_id, user_id, role, joined_at, last_activity_at)
     values (?, ?, 'member', ?, ?)`,
  );
  const message = db.prepare(
    `insert into messages (conversation_id, sender_id, receiver_id, content, sent_at, read_at)
     values (?, ?, ?, ?, ?, null)`,
  );
  const sentAt = Date.now() - 60_000;
  const numeric = (user: BenchUser) => {
    const id = idOf(user.id);
    if (id === undefined) throw new Error(`seeded user id is not an integer: ${user.id}`);
    return id;
  };
  db.transaction(() => {
    for (let i = 0; i + 1 < users.length; i += 2) {
      const a = numeric(users[i]!);
      const b = numeric(users[i + 1]!);
      const { id } = conversation.get(Math.min(a, b), Math.max(a, b), a, sentAt) as { id: number };
      member.run(id, a, sentAt, sentAt);
      member.run(id, b, sentAt, sentAt);
      message.run(id, a, b, `hello ${i / 2}`, sentAt);
    }
  })();
  recountMembers(db);
  db.close();
  return users;
}

async function checkToken(url: string, user: BenchUser) {
  const res = await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${user.token}` } });
  const body = (await res.json()) as { user?: { _id?: string } };
  if (res.status !== 200 || body.user?._id !== user.id) {
    throw new Error(`seeded token refused by GET /api/auth/me: ${res.status} ${JSON.stringify(body)}`);
  }
}

const sumCounts = (all: PresenceCounts[]) => {
  const add = (a: Record<string, number>, b: Record<string, number>) => {
    for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
    return a;
  };
  return {
    userOnline: all.reduce((n, c) => n + c.userOnline, 0),
    userOffline: all.reduce((n, c) => n + c.userOffline, 0),
    onlineUsersLists: all.reduce((n, c) => n + c.onlineUsersLists, 0),
    onlineUsersEntries: all.reduce((n, c) => n + c.onlineUsersEntries, 0),
    events: all.reduce((acc, c) => add(acc, c.events), {} as Record<string, number>),
    unexpectedDisconnects: all.reduce(
      (acc, c) => add(acc, c.unexpectedDisconnects),
      {} as Record<string, number>,
    ),
  };
};

const presenceCounts = async (workers: LoadWorker[], reset = false) =>
  Promise.all(workers.map((w) => w.call<PresenceCounts>({ type: 'presence_counts', reset })));

/** Polls the clients' presence counters until they stop moving (the server's fan-out has drained). */
async function waitForPresenceDrain(workers: LoadWorker[], maxMs: number): Promise<number> {
  const started = performance.now();
  let previous = -1;
  let stable = 0;
  while (performance.now() - started < maxMs) {
    const counts = sumCounts(await presenceCounts(workers));
    const total = counts.userOnline + counts.onlineUsersEntries;
    stable = total === previous ? stable + 1 : 0;
    if (stable >= 2) break;
    previous = total;
    await sleep(500);
  }
  return performance.now() - started;
}

/**
 * Seeds `sockets` users, starts Parley with `scope`, ramps the sockets up over the workers (each on its
 * own source address), waits for the presence fan-out to drain, holds them idle for `holdMs`, and stops.
 */
async function ramp(
  scope: Scope,
  sockets: number,
  workers: LoadWorker[],
  options: Pick<ConnectionsOptions, 'concurrency' | 'holdMs'>,
): Promise<RampResult> {
  const label = `${scope} ${sockets.toLocaleString('en-US')}`;
  const seedStarted = performance.now();
  const { dataDir, users } = await seedPairs(sockets);
  console.log(
    `  [${label}] seeded ${users.length} users in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
  );
  let server: ServerHandle | undefined;
  let stopped = false;
  try {
    server = await startParley({ dataDir, env: { PRESENCE_SCOPE: scope } });
    await checkToken(server.url, users[0]!);
    await presenceCounts(workers, true);
    const countsBefore = await Promise.all(
      workers.map((w) => w.call<{ connected: number; disconnects: number }>({ type: 'count' })),
    );
    if (countsBefore.some((c) => c.connected > 0)) throw new Error('workers still hold sockets');

    const loadBefore = loadavg()[0]!;
    const sampler = new MetricsSampler(server.url);
    await sampler.take(); // resets the lag histogram
    await sleep(1000);
    sampler.start();
    await sleep(1500);

    // Users are dealt round-robin, so the global connect order follows the user order on every worker.
    const shares = workers.map(() => [] as BenchUser[]);
    users.forEach((u, i) => shares[i % workers.length]!.push(u));
    sampler.rampStart = performance.now();
    const results = await Promise.all(
      workers.map((w, i) =>
        w.call<CountingConnectResult>({
          type: 'connect_counting',
          url: server!.url,
          users: shares[i],
          localAddress: w.localAddress,
          concurrency: options.concurrency,
          waitForOnlineUsers: true,
        }),
      ),
    );
    sampler.rampEnd = performance.now();
    const rampMs = sampler.rampEnd - sampler.rampStart;
    const connected = results.reduce((n, r) => n + r.connected, 0);
    const errors = results.reduce((n, r) => n + r.errors, 0);
    const errorSamples = [...new Set(results.flatMap((r) => r.errorSamples))];
    console.log(
      `  [${label}] ramp: ${connected} connected in ${(rampMs / 1000).toFixed(1)} s ` +
        `(${((connected / rampMs) * 1000).toFixed(0)}/s), ${errors} errors${errors ? `: ${errorSamples.join('; ')}` : ''}`,
    );

    const drainMs = await waitForPresenceDrain(workers, 120_000);
    const cpuDrained = (await sampler.take()).cpuSeconds;
    const holdMs = Math.max(0, options.holdMs - drainMs);
    const countsMid = await Promise.all(
      workers.map((w) => w.call<{ connected: number; disconnects: number }>({ type: 'count' })),
    );
    await sleep(holdMs);
    await sampler.stop();
    await sampler.take();
    const countsEnd = await Promise.all(
      workers.map((w) => w.call<{ connected: number; disconnects: number }>({ type: 'count' })),
    );
    const presence = await presenceCounts(workers);
    const summed = sumCounts(presence);
    const idleDisconnects = countsEnd.reduce((n, c, i) => n + c.disconnects - countsMid[i]!.disconnects, 0);

    const samples = sampler.samples();
    const before = [...samples].reverse().find((s) => s.phase === 'before')!;
    const atFull = samples.find((s, i) => (sampler.raw[i]?.at ?? 0) >= sampler.rampEnd)!;
    const atEnd = samples[samples.length - 1]!;
    const phase = (p: Sample['phase']) => samples.filter((s) => s.phase === p);
    const maxOf = (list: Sample[], key: 'lagP99Ms' | 'lagMaxMs') =>
      list.length ? Math.max(...list.map((s) => s[key])) : NaN;
    const perSocketKiB = (at: Sample, key: 'rssMiB' | 'heapUsedMiB') =>
      ((at[key] - before[key]) * 1024) / Math.max(1, connected);
    const pairs = Math.floor(sockets / 2);

    const loadAfter = loadavg()[0]!;
    const stopStarted = performance.now();
    // ServerHandle.stop() must run once: after a SIGKILL (graceful shutdown over 10 s) the child's exitCode
    // stays null, so a second call would wait for an exit that already happened.
    stopped = true;
    await server.stop();
    const serverStopMs = performance.now() - stopStarted;
    const result: RampResult = {
      scope,
      sockets,
      connected,
      errors,
      errorSamples,
      rampMs,
      socketsPerSec: (connected / rampMs) * 1000,
      connectMs: summarize(results.flatMap((r) => r.connectMs)),
      onlineUsersMs: summarize(results.flatMap((r) => r.onlineUsersMs)),
      before,
      atFull,
      atEnd,
      rssPerSocketKiB: perSocketKiB(atFull, 'rssMiB'),
      heapPerSocketKiB: perSocketKiB(atFull, 'heapUsedMiB'),
      rssPerSocketKiBAtEnd: perSocketKiB(atEnd, 'rssMiB'),
      heapPerSocketKiBAtEnd: perSocketKiB(atEnd, 'heapUsedMiB'),
      lagP99MaxRampMs: maxOf(phase('ramp'), 'lagP99Ms'),
      lagMaxRampMs: maxOf(phase('ramp'), 'lagMaxMs'),
      lagP99MaxIdleMs: maxOf(phase('idle'), 'lagP99Ms'),
      lagMaxIdleMs: maxOf(phase('idle'), 'lagMaxMs'),
      serverCpuMsPerSocket: ((cpuDrained - before.cpuSeconds) * 1000) / Math.max(1, connected),
      presence: {
        ...summed,
        expectedUserOnline: scope === 'all' ? (connected * (connected - 1)) / 2 : pairs,
        expectedOnlineUsersEntries: scope === 'all' ? (connected * (connected - 1)) / 2 : pairs,
      },
      drainMs,
      holdMs: drainMs + holdMs,
      idleDisconnects,
      disconnectReasons: summed.unexpectedDisconnects,
      connectedAtEnd: { server: atEnd.connected, clients: countsEnd.reduce((n, c) => n + c.connected, 0) },
      workerRssMiB: presence.map((c) => Math.round(c.workerRssBytes / MiB)),
      serverStopMs,
      serverLog: server.output().trim().split('\n').slice(-10).join('\n'),
      loadAverage: { before: loadBefore, after: loadAfter },
      samples,
    };
    console.log(
      `  [${label}] held ${((drainMs + holdMs) / 1000).toFixed(0)} s: ${result.connectedAtEnd.server} connected ` +
        `at the end, ${idleDisconnects} dropped; server stopped in ${(serverStopMs / 1000).toFixed(1)} s`,
    );
    if (result.serverLog) console.log(`  [${label}] server log:\n${result.serverLog}`);
    return result;
  } catch (err) {
    if (server) console.error(`  [${label}] server output:\n${server.output()}`);
    throw err;
  } finally {
    if (!stopped) await server?.stop();
    await Promise.all(workers.map((w) => w.call({ type: 'close' }).catch(() => undefined)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const mib = (v: number) => Math.round(v * 10) / 10;

export async function connectionsScenario(options: ConnectionsOptions) {
  const started = performance.now();
  const workers = startWorkers(options.workers);
  const hold = { concurrency: options.concurrency, holdMs: options.holdMs };
  const settle = { concurrency: options.concurrency, holdMs: 0 };
  let main: RampResult;
  const comparison: RampResult[] = [];
  try {
    main = await ramp('contacts', options.sockets, workers, hold);
    for (const n of options.allScopeSockets) {
      comparison.push(await ramp('contacts', n, workers, settle));
      comparison.push(await ramp('all', n, workers, settle));
    }
  } finally {
    workers.forEach((w) => w.stop());
  }

  const r = main;
  printTable(
    `Connections: ramp to ${options.sockets.toLocaleString('en-US')} idle sockets (PRESENCE_SCOPE=contacts, one process)`,
    [
      { metric: 'sockets connected / target', value: `${r.connected} / ${r.sockets}` },
      { metric: 'connect errors', value: r.errors ? `${r.errors} (${r.errorSamples.join('; ')})` : 0 },
      { metric: 'ramp time s (until every online_users)', value: r.rampMs / 1000 },
      { metric: 'sockets/s', value: r.socketsPerSec },
      {
        metric: 'connect ms p50 / p99',
        value: `${r.connectMs.p50.toFixed(1)} / ${r.connectMs.p99.toFixed(1)}`,
      },
      {
        metric: 'online_users ms p50 / p99',
        value: `${r.onlineUsersMs.p50.toFixed(1)} / ${r.onlineUsersMs.p99.toFixed(1)}`,
      },
      { metric: 'server open fds at full / limit', value: `${r.atFull.openFds} / ${r.atFull.maxFds}` },
      {
        metric: 'RSS MiB before / full / end of hold',
        value: `${mib(r.before.rssMiB)} / ${mib(r.atFull.rssMiB)} / ${mib(r.atEnd.rssMiB)}`,
      },
      {
        metric: 'heap MiB before / full / end of hold',
        value: `${mib(r.before.heapUsedMiB)} / ${mib(r.atFull.heapUsedMiB)} / ${mib(r.atEnd.heapUsedMiB)}`,
      },
      {
        metric: 'RSS KiB per socket (full / end)',
        value: `${r.rssPerSocketKiB.toFixed(1)} / ${r.rssPerSocketKiBAtEnd.toFixed(1)}`,
      },
      {
        metric: 'heap KiB per socket (full / end)',
        value: `${r.heapPerSocketKiB.toFixed(1)} / ${r.heapPerSocketKiBAtEnd.toFixed(1)}`,
      },
      {
        metric: 'event-loop p99 max ms: ramp / idle',
        value: `${r.lagP99MaxRampMs.toFixed(1)} / ${r.lagP99MaxIdleMs.toFixed(1)}`,
      },
      {
        metric: 'event-loop max ms: ramp / idle',
        value: `${r.lagMaxRampMs.toFixed(1)} / ${r.lagMaxIdleMs.toFixed(1)}`,
      },
      { metric: 'server CPU ms per socket (ramp)', value: r.serverCpuMsPerSocket },
      { metric: 'idle hold s', value: r.holdMs / 1000 },
      {
        metric: 'disconnects during hold',
        value: r.idleDisconnects ? `${r.idleDisconnects} ${JSON.stringify(r.disconnectReasons)}` : 0,
      },
      {
        metric: 'connected at end: server / clients',
        value: `${r.connectedAtEnd.server} / ${r.connectedAtEnd.clients}`,
      },
      {
        metric: 'user_online received / expected',
        value: `${r.presence.userOnline} / ${r.presence.expectedUserOnline}`,
      },
      { metric: 'worker RSS MiB', value: r.workerRssMiB.join(', ') },
      { metric: 'server stop s (SIGKILL at 10 s)', value: r.serverStopMs / 1000 },
    ],
  );
  printTable(
    'Ramp time series (every 5th sample)',
    r.samples
      .filter((_, i, all) => i % 5 === 0 || i === all.length - 1)
      .map((s) => ({
        t: s.t,
        phase: s.phase,
        connected: s.connected,
        'RSS MiB': mib(s.rssMiB),
        'heap MiB': mib(s.heapUsedMiB),
        'lag p99 ms': s.lagP99Ms,
        'CPU %': s.cpuPct,
      })),
  );
  // Server CPU that PRESENCE_SCOPE=all adds to a connect, per user already online (µs): a ramp's connects
  // find (N-1)/2 users online on average.
  const extraCpuPerOnlineUs = (c: RampResult) => {
    const base = comparison.find((o) => o.scope === 'contacts' && o.sockets === c.sockets);
    if (c.scope !== 'all' || !base || c.connected < 2) return undefined;
    return ((c.serverCpuMsPerSocket - base.serverCpuMsPerSocket) * 1000) / ((c.connected - 1) / 2);
  };
  const compareRows = comparison.map((c) => ({
    scope: c.scope,
    sockets: c.sockets,
    errors: c.errors,
    'ramp s': c.rampMs / 1000,
    'sockets/s': c.socketsPerSec,
    'online_users p99 ms': c.onlineUsersMs.p99,
    'lag p99 max ms': c.lagP99MaxRampMs,
    'lag max ms': c.lagMaxRampMs,
    'CPU ms/socket': c.serverCpuMsPerSocket,
    'extra CPU µs/online user': extraCpuPerOnlineUs(c),
    'drain s': c.drainMs / 1000,
    'user_online recv': c.presence.userOnline,
    'online_users entries': c.presence.onlineUsersEntries,
    expected: c.presence.expectedUserOnline,
    'RSS MiB full': mib(c.atFull.rssMiB),
  }));
  printTable('PRESENCE broadcast cost: PRESENCE_SCOPE=all vs contacts, same ramp', compareRows);
  const elapsedS = (performance.now() - started) / 1000;
  console.log(`connections scenario took ${elapsedS.toFixed(0)} s`);
  writeResult('connections', {
    machine: await machine(),
    options,
    elapsedS,
    comparisonSummary: compareRows,
    main,
    comparison,
  });
  return { main, comparison };
}
