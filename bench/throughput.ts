/**
 * Scenario 1 — throughput and latency: P sender→receiver pairs, each keeping W messages in flight.
 * Delivered msgs/s and send→receive latency, for Parley and the bare relay alternating in one run; with
 * `baselineRef` (BENCH_BASELINE_REF) also for another commit of Parley, built and run beside this one, and
 * with `candidateRef` (BENCH_CANDIDATE_REF) for a third build (e.g. a copy with a change to try).
 * Two send paths: `bare` (a plain `send_message`) and `ack` (the typed client's: a unique `clientMessageId`
 * and an acknowledgement callback on every send; the relay acknowledges too).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { SQLite } from '../src/store/sqlite-driver.js';
import { type Baseline, buildBaseline } from './lib/baseline.js';
import { type LatencySummary, machine, median, printTable, summarize, writeResult } from './lib/stats.js';
import { type ServerHandle, startParley, startRelay } from './lib/server-process.js';
import { type BenchUser, registerUsers } from './lib/users.js';
import { type LoadWorker, startWorkers } from './lib/workers.js';

export interface ThroughputOptions {
  pairCounts: number[];
  window: number;
  warmupMs: number;
  durationMs: number;
  rounds: number;
  workers: number;
  /** Send paths to measure (default both). */
  paths?: SendPath[];
  /** A git ref of Parley to measure beside this checkout (e.g. the commit before a change). */
  baselineRef?: string;
  /** Another build to measure beside both (a ref, or a directory with a build in `dist/`). */
  candidateRef?: string;
}

export type SendPath = 'bare' | 'ack';

export interface RunResult extends LatencySummary {
  target: string;
  path: SendPath;
  pairs: number;
  round: number;
  msgsPerSec: number;
  /** The ack path: acknowledgements received while measuring, failed ones, and the send→ack latency. */
  acked?: number;
  ackFailures?: number;
  ack?: LatencySummary;
  /** The server's CPU time per delivered message while measuring, in µs (from /proc; load-independent-ish). */
  cpuMicrosPerMsg?: number;
}

/** Connects each pair's two users on one worker and drives them; returns msgs/s and latencies. */
export async function drive(
  urls: string[],
  users: BenchUser[],
  auth: 'token' | 'userId',
  workers: LoadWorker[],
  options: Pick<ThroughputOptions, 'window' | 'warmupMs' | 'durationMs'> & {
    ack?: boolean;
    /** Server processes whose CPU time to read over the measured window. */
    servers?: ServerHandle[];
  },
): Promise<{
  /** CPU µs the servers used per delivered message over the measured window (NaN without `servers`). */
  cpuMicrosPerMsg: number;
  msgsPerSec: number;
  latency: LatencySummary;
  delivered: number;
  acked: number;
  ackFailures: number;
  ackFailureSamples: string[];
  ack: LatencySummary;
}> {
  const pairs = users.length / 2;
  // Pair p: sender users[2p], receiver users[2p+1]; pairs are dealt to workers round-robin. With several
  // server URLs, the sender and receiver of a pair connect to different servers.
  const shares = workers.map(() => ({ users: [] as BenchUser[], urls: [] as string[], pairs: [] as any[] }));
  for (let p = 0; p < pairs; p++) {
    const share = shares[p % workers.length]!;
    const sender = users[2 * p]!;
    const receiver = users[2 * p + 1]!;
    share.pairs.push({
      sender: share.users.length,
      receiver: share.users.length + 1,
      receiverId: receiver.id,
    });
    share.users.push(sender, receiver);
    share.urls.push(urls[p % urls.length]!, urls[(p + 1) % urls.length]!);
  }
  await Promise.all(
    workers.map(async (w, i) => {
      const share = shares[i]!;
      // Connect per target URL so each socket goes to its assigned server.
      for (const url of [...new Set(share.urls)]) {
        const subset = share.users.filter((_, k) => share.urls[k] === url);
        if (subset.length === 0) continue;
        const r = await w.call({
          type: 'connect',
          url,
          users: subset,
          auth,
          localAddress: w.localAddress,
          concurrency: 50,
        });
        if (r.errors > 0) throw new Error(`connect errors: ${r.errors} ${r.errorSamples.join('; ')}`);
      }
    }),
  );
  // Socket indexes in the worker follow connection order: rebuild them per URL group.
  await Promise.all(
    workers.map(async (w, i) => {
      const share = shares[i]!;
      const order: number[] = [];
      for (const url of [...new Set(share.urls)]) share.urls.forEach((u, k) => u === url && order.push(k));
      const indexOf = new Map(order.map((k, pos) => [k, pos]));
      share.pairs = share.pairs.map((p) => ({
        ...p,
        sender: indexOf.get(p.sender),
        receiver: indexOf.get(p.receiver),
      }));
    }),
  );
  // The servers' CPU time over the measured window (the workers start it `warmupMs` after this call).
  const cpu = () => (options.servers ?? []).reduce((t, s) => t + s.cpuSeconds(), 0);
  let cpuStart = NaN;
  let cpuEnd = NaN;
  const timers = [
    setTimeout(() => (cpuStart = cpu()), options.warmupMs),
    setTimeout(() => (cpuEnd = cpu()), options.warmupMs + options.durationMs),
  ];
  const results = await Promise.all(
    workers.map((w, i) =>
      w.call({
        type: 'throughput',
        pairs: shares[i]!.pairs,
        window: options.window,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        ack: options.ack ?? false,
      }),
    ),
  );
  timers.forEach(clearTimeout);
  await Promise.all(workers.map((w) => w.call({ type: 'close' })));
  const delivered = results.reduce((n, r) => n + r.delivered, 0);
  const elapsed = Math.max(...results.map((r) => r.elapsedMs));
  const latency = summarize(results.flatMap((r) => r.latencies as number[]));
  return {
    cpuMicrosPerMsg: ((cpuEnd - cpuStart) * 1e6) / delivered,
    msgsPerSec: (delivered / elapsed) * 1000,
    latency,
    delivered,
    acked: results.reduce((n, r) => n + r.acked, 0),
    ackFailures: results.reduce((n, r) => n + r.ackFailures, 0),
    ackFailureSamples: results.flatMap((r) => r.ackFailureSamples as string[]),
    ack: summarize(results.flatMap((r) => r.ackLatencies as number[])),
  };
}

const storedMessages = (server: ServerHandle): number => {
  const db = new SQLite(join(server.dataDir, 'parley.db'), { readonly: true });
  try {
    return (db.prepare('select count(*) as n from messages').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

interface Target {
  name: string;
  server: ServerHandle;
  users: BenchUser[];
  auth: 'token' | 'userId';
  delivered: number;
}

/** Round r runs the targets rotated by r - 1 (and the paths reversed every other round). */
const rotated = <T>(list: T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length] as T);

export async function throughputScenario(options: ThroughputOptions) {
  const paths = options.paths ?? ['bare', 'ack'];
  const baseline: Baseline | undefined = options.baselineRef ? buildBaseline(options.baselineRef) : undefined;
  const candidate: Baseline | undefined = options.candidateRef
    ? buildBaseline(options.candidateRef)
    : undefined;
  const workers = startWorkers(options.workers);
  const loadBefore = loadavg();
  const runs: RunResult[] = [];
  const summary: Array<Record<string, unknown>> = [];
  const names = ['relay', ...(baseline ? ['baseline'] : []), ...(candidate ? ['candidate'] : []), 'parley'];
  try {
    for (const pairs of options.pairCounts) {
      const targets: Target[] = [];
      try {
        const relay = await startRelay();
        targets.push({
          name: 'relay',
          server: relay,
          users: Array.from({ length: pairs * 2 }, (_, i) => ({ id: `relay-user-${i}`, token: '' })),
          auth: 'userId',
          delivered: 0,
        });
        for (const [name, build] of [
          ['baseline', baseline],
          ['candidate', candidate],
        ] as const) {
          if (!build) continue;
          const server = await startParley({ root: build.root, kind: name });
          targets.push({
            name,
            server,
            users: await registerUsers(server.url, pairs * 2),
            auth: 'token',
            delivered: 0,
          });
        }
        const parley = await startParley();
        targets.push({
          name: 'parley',
          server: parley,
          users: await registerUsers(parley.url, pairs * 2),
          auth: 'token',
          delivered: 0,
        });
        for (let round = 1; round <= options.rounds; round++) {
          const order = rotated(targets, round - 1);
          const pathOrder = round % 2 === 1 ? paths : [...paths].reverse();
          for (const target of order) {
            for (const path of pathOrder) {
              const r = await drive([target.server.url], target.users, target.auth, workers, {
                ...options,
                ack: path === 'ack',
                servers: [target.server],
              });
              if (r.ackFailures > 0) {
                throw new Error(
                  `${target.name}: ${r.ackFailures} sends refused: ${r.ackFailureSamples.join('; ')}`,
                );
              }
              target.delivered += r.delivered;
              runs.push({
                target: target.name,
                path,
                pairs,
                round,
                msgsPerSec: r.msgsPerSec,
                cpuMicrosPerMsg: r.cpuMicrosPerMsg,
                ...r.latency,
                ...(path === 'ack' ? { acked: r.acked, ackFailures: r.ackFailures, ack: r.ack } : {}),
              });
              console.log(
                `  ${target.name.padEnd(8)} ${path.padEnd(4)} pairs=${pairs} round ${round}: ` +
                  `${r.msgsPerSec.toFixed(0)} msgs/s, p50 ${r.latency.p50.toFixed(2)} ms, ` +
                  `p99 ${r.latency.p99.toFixed(2)} ms, ${r.cpuMicrosPerMsg.toFixed(1)} µs CPU/msg` +
                  (path === 'ack' ? `, ack p99 ${r.ack.p99.toFixed(2)} ms` : ''),
              );
            }
          }
        }
        const stored: Record<string, string> = {};
        for (const t of targets) {
          if (t.name === 'relay') continue;
          const n = storedMessages(t.server);
          stored[t.name] = n >= t.delivered ? `yes (${n})` : `NO (${n} < ${t.delivered})`;
        }
        for (const path of paths) {
          const of = (t: string) =>
            runs.filter((r) => r.pairs === pairs && r.path === path && r.target === t);
          const med = (t: string, k: 'msgsPerSec' | 'p50' | 'p99' | 'cpuMicrosPerMsg') =>
            median(of(t).map((r) => r[k] ?? NaN));
          /** Per-round ratios of msgs/s: the two ran back to back, under the same load from elsewhere. */
          const roundRatios = (a: string, b: string) =>
            of(a).map((r) => r.msgsPerSec / (of(b).find((x) => x.round === r.round)?.msgsPerSec ?? NaN));
          const range = (values: number[]) =>
            values.length > 1
              ? `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`
              : (values[0] ?? NaN).toFixed(2);
          const row: Record<string, unknown> = { pairs, path };
          for (const t of names) row[`${t} msgs/s`] = med(t, 'msgsPerSec');
          row['parley / relay'] = med('parley', 'msgsPerSec') / med('relay', 'msgsPerSec');
          if (baseline) {
            row['baseline / relay'] = med('baseline', 'msgsPerSec') / med('relay', 'msgsPerSec');
            row['parley / baseline'] = med('parley', 'msgsPerSec') / med('baseline', 'msgsPerSec');
            const ratios = roundRatios('parley', 'baseline');
            row['parley / baseline, median of rounds'] = median(ratios);
            row['parley / baseline, range'] = range(ratios);
          }
          if (candidate) {
            const ratios = roundRatios('candidate', baseline ? 'baseline' : 'parley');
            row[`candidate / ${baseline ? 'baseline' : 'parley'}, median of rounds`] = median(ratios);
            row[`candidate / ${baseline ? 'baseline' : 'parley'}, range`] = range(ratios);
            row['candidate / parley, median of rounds'] = median(roundRatios('candidate', 'parley'));
          }
          // Server CPU per message: what the server spends, whatever share of the cores it got.
          for (const t of names) row[`${t} µs CPU/msg`] = med(t, 'cpuMicrosPerMsg');
          if (baseline)
            row['parley / baseline CPU/msg'] =
              med('parley', 'cpuMicrosPerMsg') / med('baseline', 'cpuMicrosPerMsg');
          for (const t of names) row[`${t} p50 ms`] = med(t, 'p50');
          for (const t of names) row[`${t} p99 ms`] = med(t, 'p99');
          if (path === 'ack') {
            for (const t of names) row[`${t} ack p99 ms`] = median(of(t).map((r) => r.ack?.p99 ?? NaN));
          }
          row['stored ≥ delivered'] = Object.entries(stored)
            .map(([t, v]) => `${t} ${v}`)
            .join(', ');
          summary.push(row);
        }
      } finally {
        await Promise.all(targets.map((t) => t.server.stop()));
      }
    }
  } finally {
    workers.forEach((w) => w.stop());
    baseline?.remove();
    candidate?.remove();
  }
  const loadAfter = loadavg();
  printTable(
    `Throughput: Parley (SQLite, memory presence)${baseline ? ` and baseline ${baseline.ref}` : ''} vs the bare ` +
      `Socket.IO relay — medians of ${options.rounds} rounds; 1-min load ${loadBefore[0]?.toFixed(1)} → ${loadAfter[0]?.toFixed(1)}`,
    summary,
  );
  writeResult('throughput', {
    machine: await machine(),
    options,
    ...(baseline ? { baseline: { ref: baseline.ref, commit: baseline.commit } } : {}),
    ...(candidate ? { candidate: { ref: candidate.ref, commit: candidate.commit } } : {}),
    loadAverage: { before: loadBefore, after: loadAfter },
    summary,
    runs,
  });
  return summary;
}
