/**
 * `npm run soak [-- --quick]` — a soak run: one Parley process under moderate, varied, churning load for
 * SOAK_MINUTES (default 5; `--quick` 1), its memory sampled every SOAK_SAMPLE_SECONDS (default 10; 5 with
 * `--quick`). SQLite + in-memory presence by default; PostgreSQL + Redis (a fresh schema and key prefix)
 * when DATABASE_URL and REDIS_URL are both set. Never part of `npm test`.
 *
 * The load (bench/lib/soak-client.ts, in BENCH_WORKERS load processes on 127.0.0.2–9): SOAK_USERS users
 * (default 200, registered through REST), SOAK_SOCKETS open sockets (default 300, so many users have
 * several tabs), SOAK_RATE messages/s with acks (default 250), typing (¼ of that; 30 % left to time out),
 * history and unread requests (1/15 each), 30 % of received messages marked read; every 2 s 5 % of the
 * sockets close after their acks are in and as many new ones connect as random users.
 *
 * Prints a table of samples and a summary, writes bench/results/soak-<timestamp>.json, and exits 1 when
 * anything failed (connect errors, failed or unanswered acks, `error` events, disconnects the client did
 * not ask for, server error logs, acked messages missing from storage, sockets or presence left after
 * every client closed) or when memory grew: see GROWTH_LIMIT.
 */
import { performance } from 'node:perf_hooks';
import type { SoakCounters } from './lib/soak-client.js';
import {
  GC_PROBE_ARGS,
  type MemorySample,
  MemoryProbe,
  slopePerMinute,
  windowMean,
} from './lib/memory-probe.js';
import { freshScaledBackends } from './lib/scaled.js';
import { onlineUsersSeenBy, serverLogLines, storedMessages } from './lib/soak-checks.js';
import { type ServerHandle, startParley } from './lib/server-process.js';
import { machine, printTable, summarize, writeResult } from './lib/stats.js';
import { registerUsers } from './lib/users.js';
import { type LoadWorker, startWorkers } from './lib/workers.js';

/**
 * Fails the run when the mean RSS or heap-after-GC of the last window is more than 20 % above that of the
 * second window (the first is warm-up: JIT, caches filling, the heap sizing itself to the load). Measured
 * with `--quick` on SQLite, the heap after a full GC moved under 2 % and RSS about 3 % from the second to
 * the last window, while a bounded cache was still filling (the store's known conversation pairs: at most
 * 19,900 for 200 users). 20 % over minutes 2→5 of a default run flags a leak of about 150 bytes per
 * message (45,000 messages on a ~34 MiB heap) or 20 KiB per connection (1,350 connects, ~150 MiB RSS).
 */
const GROWTH_LIMIT = 0.2;

const quick = process.argv.includes('--quick');
const setting = (name: string, fallback: number) => {
  const value = process.env[name] ? Number(process.env[name]) : fallback;
  if (!(value > 0)) throw new Error(`${name} must be a positive number`);
  return value;
};
const options = {
  minutes: quick ? 1 : setting('SOAK_MINUTES', 5),
  sampleSeconds: setting('SOAK_SAMPLE_SECONDS', quick ? 5 : 10),
  users: setting('SOAK_USERS', 200),
  sockets: setting('SOAK_SOCKETS', 300),
  msgsPerSec: setting('SOAK_RATE', 250),
  workers: setting('BENCH_WORKERS', 2),
  churnEveryMs: 2000,
  churnFraction: 0.05,
  ackTimeoutMs: 10_000,
  growthLimit: GROWTH_LIMIT,
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function combine(all: SoakCounters[]): SoakCounters {
  const total = { ...all[0]! };
  for (const c of all.slice(1)) {
    for (const key of Object.keys(c) as Array<keyof SoakCounters>) {
      const v = c[key];
      if (typeof v === 'number') (total as any)[key] += v;
    }
  }
  total.disconnectReasons = {};
  total.requests = {};
  for (const c of all) {
    for (const [k, n] of Object.entries(c.disconnectReasons)) {
      total.disconnectReasons[k] = (total.disconnectReasons[k] ?? 0) + n;
    }
    for (const [k, r] of Object.entries(c.requests)) {
      const t = (total.requests[k] ??= { sent: 0, ok: 0, failed: 0 });
      t.sent += r.sent;
      t.ok += r.ok;
      t.failed += r.failed;
    }
  }
  total.errorSamples = [...new Set(all.flatMap((c) => c.errorSamples))];
  total.ackMs = all.flatMap((c) => c.ackMs);
  return total;
}

const requestFailures = (c: SoakCounters) => Object.values(c.requests).reduce((n, r) => n + r.failed, 0);
const clientErrors = (c: SoakCounters) =>
  c.connectErrors + c.sendFailed + c.unanswered + requestFailures(c) + c.unexpectedDisconnects;

const callAll = (workers: LoadWorker[], job: Record<string, unknown>) =>
  Promise.all(workers.map((w) => w.call<SoakCounters>(job))).then(combine);

const { DATABASE_URL, REDIS_URL } = process.env;
if (Boolean(DATABASE_URL) !== Boolean(REDIS_URL)) {
  console.error('set both DATABASE_URL and REDIS_URL (PostgreSQL + Redis), or neither (SQLite + memory)');
  process.exit(2);
}
const backends = DATABASE_URL && REDIS_URL ? await freshScaledBackends(DATABASE_URL, REDIS_URL) : undefined;
const backend = backends ? 'PostgreSQL + Redis' : 'SQLite + memory';
const durationS = options.minutes * 60;
const w = Math.min(60, durationS / 4);
let server: ServerHandle | undefined;
let workers: LoadWorker[] = [];
const failures: string[] = [];
try {
  console.log(
    `soak${quick ? ' (quick)' : ''}: ${options.minutes} min on ${backend}, ${options.users} users, ` +
      `${options.sockets} sockets, ${options.msgsPerSec} msgs/s, churn ${options.churnFraction * 100} % ` +
      `every ${options.churnEveryMs / 1000} s, ${options.workers} load workers`,
  );
  server = await startParley({ env: { ...backends?.env, RATE_LIMITS: 'off' }, nodeArgs: GC_PROBE_ARGS });
  const probe = new MemoryProbe(server);
  if (!probe.gcAvailable) console.log('  (heap after GC unavailable: the GC probe did not load)');
  const users = await registerUsers(server.url, options.users);
  const before = await probe.take(0);
  workers = startWorkers(options.workers);
  const url = server.url;
  const n = workers.length;
  const started = await Promise.all(
    workers.map((worker, i) =>
      worker.call<SoakCounters>({
        type: 'soak_start',
        url,
        users,
        localAddress: worker.localAddress,
        sockets: Math.floor(options.sockets / n) + (i < options.sockets % n ? 1 : 0),
        msgsPerSec: options.msgsPerSec / n,
        churnEveryMs: options.churnEveryMs,
        churnFraction: options.churnFraction,
        ackTimeoutMs: options.ackTimeoutMs,
      }),
    ),
  ).then(combine);
  console.log(`  ${started.connects} sockets open; load running`);

  const t0 = performance.now();
  const samples: MemorySample[] = [];
  const rows: Array<Record<string, unknown>> = [];
  let previous = { at: t0, acked: 0, connects: started.connects };
  for (let k = 1; k * options.sampleSeconds <= durationS; k++) {
    await sleep(Math.max(0, t0 + k * options.sampleSeconds * 1000 - performance.now()));
    const c = await callAll(workers, { type: 'soak_stats' });
    const at = performance.now();
    const mem = await probe.take((at - t0) / 1000);
    samples.push(mem);
    const row = {
      't s': mem.t,
      sockets: mem.serverSockets,
      'acked/s': ((c.acked - previous.acked) / (at - previous.at)) * 1000,
      'ack p99 ms': summarize(c.ackMs).p99,
      connects: c.connects - previous.connects,
      drops: c.unexpectedDisconnects,
      errors: clientErrors(c),
      'RSS MiB': mem.rssMiB,
      'heap MiB': mem.heapUsedMiB,
      'heap GC MiB': mem.heapAfterGcMiB,
      fds: mem.openFds,
      handles: mem.activeHandles,
      'lag p99 ms': mem.lagP99Ms,
      'CPU %': mem.cpuPct,
    };
    rows.push(row);
    console.log(
      `  t=${mem.t}s sockets=${mem.serverSockets} acked/s=${row['acked/s'].toFixed(0)} ` +
        `RSS=${mem.rssMiB.toFixed(1)} heapGC=${mem.heapAfterGcMiB.toFixed(1)} MiB errors=${row.errors}`,
    );
    previous = { at, acked: c.acked, connects: c.connects };
  }

  const final = await callAll(workers, { type: 'soak_stop' });
  const loadSeconds = (performance.now() - t0) / 1000;
  const socketsLeft = await probe.waitForNoSockets(15_000);
  await sleep(6000); // typing states time out (TYPING_TIMEOUT_MS, 5 s)
  const onlineLeft = await onlineUsersSeenBy(server.url, users[0]!).catch((err: Error) => {
    failures.push(`presence check after the load failed: ${err.message}`);
    return NaN;
  });
  await probe.waitForNoSockets(5000);
  const idle = await probe.take(loadSeconds);
  const stored = await storedMessages(server, backends?.env.DATABASE_URL);
  const logs = serverLogLines(server);
  const serverErrors = logs.filter((l) => l.level >= 50).length;

  printTable(`Soak samples — ${backend}, every ${options.sampleSeconds} s`, rows);

  const win = (key: keyof MemorySample, start: number, end: number) => windowMean(samples, key, start, end);
  const labels = {
    rssMiB: 'RSS MiB',
    rssAnonMiB: 'RSS anonymous MiB',
    heapUsedMiB: 'heap used MiB',
    heapAfterGcMiB: 'heap after GC MiB',
  } as const;
  // Growth fails the run for RSS and the heap after GC; the others show where memory went.
  const enforced: string[] = [labels.rssMiB, labels.heapAfterGcMiB];
  const memory = (Object.keys(labels) as Array<keyof typeof labels>).map((key) => {
    const second = win(key, w, 2 * w);
    const last = win(key, durationS - w, durationS);
    return {
      memory: labels[key],
      'before load': before[key],
      [`first ${w} s`]: win(key, 0, w),
      [`second ${w} s`]: second,
      [`last ${w} s`]: last,
      'growth 2nd→last %': (last / second - 1) * 100,
      'slope MiB/min': slopePerMinute(samples, key, w),
      'idle after': idle[key],
    };
  });
  printTable(`Memory — windows of ${w} s; slope after the first window`, memory);

  const requests = Object.entries(final.requests)
    .map(([k, r]) => `${k} ${r.ok}/${r.sent}`)
    .join(', ');
  const summary: Record<string, unknown> = {
    'load seconds': loadSeconds,
    'messages sent': final.sent,
    'messages acked': final.acked,
    'acked msgs/s': final.acked / loadSeconds,
    'stored in database': stored,
    'send failed / unanswered': `${final.sendFailed} / ${final.unanswered}`,
    'received (receive_message)': final.received,
    'other requests ok/sent': requests,
    'connects / connect errors': `${final.connects} / ${final.connectErrors}`,
    'client closes': final.clientCloses,
    'unexpected disconnects': final.unexpectedDisconnects,
    'error events': final.errorEvents,
    'presence events received': final.presenceEvents,
    'server warn / error logs': `${logs.length - serverErrors} / ${serverErrors}`,
    'sockets left on server': socketsLeft,
    'online users left': onlineLeft,
    'fds before / idle after': `${before.openFds} / ${idle.openFds}`,
  };
  printTable(
    'Soak summary',
    Object.entries(summary).map(([figure, value]) => ({ figure, value })),
  );

  // Every request carries an ack, so each `error` event is also a failed ack: counted there.
  const errors = clientErrors(final) + serverErrors;
  if (errors > 0 || final.errorEvents > 0) {
    failures.push(`${errors} errors: ${final.errorSamples.slice(0, 5).join('; ')}`);
  }
  if (stored < final.acked) failures.push(`${final.acked - stored} acked messages are not stored`);
  if (stored > final.sent) failures.push(`${stored - final.sent} more messages stored than sent`);
  if (socketsLeft !== 0) failures.push(`${socketsLeft} sockets still open on the server after every close`);
  if (onlineLeft > 0) failures.push(`${onlineLeft} users still online after every client closed`);
  for (const row of memory.filter((r) => enforced.includes(r.memory))) {
    const growth = row['growth 2nd→last %'];
    if (growth > options.growthLimit * 100) {
      // Idle after the load near "before load" points at a backlog of queued work rather than a leak.
      failures.push(
        `${row.memory} grew ${growth.toFixed(1)} % (limit ${options.growthLimit * 100} %); ` +
          `before load ${row['before load'].toFixed(1)}, idle after ${row['idle after'].toFixed(1)}`,
      );
    }
  }
  const { ackMs: _ackMs, ...counters } = final;
  writeResult('soak', {
    machine: await machine(),
    backend,
    options,
    gcProbe: probe.gcAvailable,
    summary,
    memory,
    counters,
    stored,
    before,
    idle,
    samples,
    rows,
    serverLog: logs.slice(-50),
    failures,
  });
} catch (err) {
  failures.push(`soak aborted: ${(err as Error).message}`);
  for (const line of server ? serverLogLines(server).slice(-5) : []) {
    console.error(`  server: ${line.msg ?? ''} ${line.err ?? ''}`);
  }
} finally {
  workers.forEach((worker) => worker.stop());
  await server?.stop();
  await backends?.drop();
}
console.log(failures.length ? `\nFAIL\n${failures.map((f) => `  - ${f}`).join('\n')}` : '\nPASS');
process.exit(failures.length ? 1 : 0);
