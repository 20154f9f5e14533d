/**
 * Scenario 1 — throughput and latency: P sender→receiver pairs, each keeping W messages in flight.
 * Delivered msgs/s and send→receive latency, for Parley and the bare relay alternating in one run.
 */
import { join } from 'node:path';
import { SQLite } from '../src/store/sqlite-driver.js';
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
}

export interface RunResult extends LatencySummary {
  target: string;
  pairs: number;
  round: number;
  msgsPerSec: number;
}

/** Connects each pair's two users on one worker and drives them; returns msgs/s and latencies. */
export async function drive(
  urls: string[],
  users: BenchUser[],
  auth: 'token' | 'userId',
  workers: LoadWorker[],
  options: Pick<ThroughputOptions, 'window' | 'warmupMs' | 'durationMs'>,
): Promise<{ msgsPerSec: number; latency: LatencySummary; delivered: number }> {
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
  const results = await Promise.all(
    workers.map((w, i) =>
      w.call({
        type: 'throughput',
        pairs: shares[i]!.pairs,
        window: options.window,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
      }),
    ),
  );
  await Promise.all(workers.map((w) => w.call({ type: 'close' })));
  const delivered = results.reduce((n, r) => n + r.delivered, 0);
  const elapsed = Math.max(...results.map((r) => r.elapsedMs));
  const latency = summarize(results.flatMap((r) => r.latencies as number[]));
  return { msgsPerSec: (delivered / elapsed) * 1000, latency, delivered };
}

const storedMessages = (server: ServerHandle): number => {
  const db = new SQLite(join(server.dataDir, 'parley.db'), { readonly: true });
  try {
    return (db.prepare('select count(*) as n from messages').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

export async function throughputScenario(options: ThroughputOptions) {
  const workers = startWorkers(options.workers);
  const runs: RunResult[] = [];
  const summary: Array<Record<string, unknown>> = [];
  try {
    for (const pairs of options.pairCounts) {
      const relay = await startRelay();
      const parley = await startParley();
      try {
        const parleyUsers = await registerUsers(parley.url, pairs * 2);
        const relayUsers = Array.from({ length: pairs * 2 }, (_, i) => ({
          id: `relay-user-${i}`,
          token: '',
        }));
        let deliveredToParley = 0;
        for (let round = 1; round <= options.rounds; round++) {
          for (const target of ['relay', 'parley'] as const) {
            const r =
              target === 'relay'
                ? await drive([relay.url], relayUsers, 'userId', workers, options)
                : await drive([parley.url], parleyUsers, 'token', workers, options);
            if (target === 'parley') deliveredToParley += r.delivered;
            runs.push({ target, pairs, round, msgsPerSec: r.msgsPerSec, ...r.latency });
            console.log(
              `  ${target.padEnd(6)} pairs=${pairs} round ${round}: ${r.msgsPerSec.toFixed(0)} msgs/s, ` +
                `p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms`,
            );
          }
        }
        const stored = storedMessages(parley);
        const of = (t: string) => runs.filter((r) => r.pairs === pairs && r.target === t);
        const med = (t: string, k: keyof RunResult) => median(of(t).map((r) => r[k] as number));
        summary.push({
          pairs,
          window: options.window,
          'relay msgs/s': med('relay', 'msgsPerSec'),
          'parley msgs/s': med('parley', 'msgsPerSec'),
          'msgs/s ratio': med('parley', 'msgsPerSec') / med('relay', 'msgsPerSec'),
          'relay p50 ms': med('relay', 'p50'),
          'parley p50 ms': med('parley', 'p50'),
          'relay p99 ms': med('relay', 'p99'),
          'parley p99 ms': med('parley', 'p99'),
          'p99 ratio': med('parley', 'p99') / med('relay', 'p99'),
          'parley max ms': Math.max(...of('parley').map((r) => r.max)),
          'stored ≥ delivered':
            stored >= deliveredToParley ? `yes (${stored})` : `NO (${stored} < ${deliveredToParley})`,
        });
      } finally {
        await Promise.all([relay.stop(), parley.stop()]);
      }
    }
  } finally {
    workers.forEach((w) => w.stop());
  }
  printTable(
    'Throughput: Parley (SQLite, memory presence) vs the bare Socket.IO relay — medians of rounds',
    summary,
  );
  writeResult('throughput', { machine: await machine(), options, summary, runs });
  return summary;
}
