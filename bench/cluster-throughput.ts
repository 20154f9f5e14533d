/**
 * Scenario 4 — the throughput scenario through 1 and through 3 Parley processes on PostgreSQL + Redis
 * (DATABASE_URL and REDIS_URL must be set). Each pair's sender and receiver connect to different
 * processes when there are several, so every message crosses Redis.
 */
import { freshScaledBackends } from './lib/scaled.js';
import { type ServerHandle, startParley } from './lib/server-process.js';
import { machine, median, printTable, writeResult } from './lib/stats.js';
import { registerUsers } from './lib/users.js';
import { startWorkers } from './lib/workers.js';
import { drive } from './throughput.js';

export interface ClusterThroughputOptions {
  databaseUrl: string;
  redisUrl: string;
  processCounts: number[];
  pairs: number;
  window: number;
  warmupMs: number;
  durationMs: number;
  rounds: number;
  workers: number;
  redisAdapter?: 'sharded' | 'classic';
}

export async function clusterThroughputScenario(options: ClusterThroughputOptions) {
  const workers = startWorkers(options.workers);
  const rows: Array<Record<string, unknown>> = [];
  const runs: Array<Record<string, unknown>> = [];
  try {
    for (const processes of options.processCounts) {
      const backends = await freshScaledBackends(options.databaseUrl, options.redisUrl);
      const servers: ServerHandle[] = [];
      try {
        const env = { ...backends.env, REDIS_ADAPTER: options.redisAdapter ?? 'sharded' };
        for (let i = 0; i < processes; i++) servers.push(await startParley({ env }));
        const users = await registerUsers(servers[0]!.url, options.pairs * 2);
        const results = [];
        for (let round = 1; round <= options.rounds; round++) {
          const r = await drive(
            servers.map((s) => s.url),
            users,
            'token',
            workers,
            options,
          );
          results.push(r);
          runs.push({ processes, round, msgsPerSec: r.msgsPerSec, ...r.latency });
          console.log(
            `  ${processes} process(es) round ${round}: ${r.msgsPerSec.toFixed(0)} msgs/s, ` +
              `p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms`,
          );
        }
        rows.push({
          processes,
          pairs: options.pairs,
          adapter: options.redisAdapter ?? 'sharded',
          'msgs/s': median(results.map((r) => r.msgsPerSec)),
          'p50 ms': median(results.map((r) => r.latency.p50)),
          'p99 ms': median(results.map((r) => r.latency.p99)),
        });
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
        await backends.drop();
      }
    }
  } finally {
    workers.forEach((w) => w.stop());
  }
  const base = rows[0]?.['msgs/s'] as number;
  for (const row of rows) row['vs 1 process'] = (row['msgs/s'] as number) / base;
  printTable('Throughput through 1 vs N Parley processes on PostgreSQL + Redis — medians of rounds', rows);
  writeResult('cluster-throughput', {
    machine: await machine(),
    options: { ...options, databaseUrl: '(set)', redisUrl: '(set)' },
    rows,
    runs,
  });
  return rows;
}
