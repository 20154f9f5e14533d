/**
 * `npm run bench [-- scenario ...] [--quick]` runs the benchmark scenarios (default: all of them) and
 * prints their tables; JSON results go to bench/results/. Never part of `npm test`.
 *
 *   throughput    Parley vs the bare Socket.IO relay, 50 and 500 pairs, plain sends and the typed
 *                 client's (ack + clientMessageId); with BENCH_BASELINE_REF=<commit> also that commit's
 *                 build, in the same run, and BENCH_CANDIDATE_REF=<commit or built directory> a third
 *                 build; BENCH_PAIRS=50,500 the pair counts (scenario 1)
 *   connections   19,000 idle authenticated sockets; presence scope all vs contacts (scenario 2)
 *   history       get_message_history page 1 and 200 over 1,000,000 messages (scenario 3)
 *   cluster       throughput through 1 and 3 processes on PostgreSQL + Redis (scenario 4; needs
 *                 DATABASE_URL and REDIS_URL, skipped otherwise)
 *   inbox         get_conversations page 1 and get_unread_count for a user in 10,000 conversations,
 *                 1,000,000 messages, 100,000 users; SQLite, and PostgreSQL with DATABASE_URL (scenario 6)
 *   groups        group fan-out against the relay's room broadcast: groups of 10, 100 and 1,000 members,
 *                 BENCH_TABS (default 2) sockets each; 1 process, and 3 on PostgreSQL + Redis with
 *                 DATABASE_URL and REDIS_URL; BENCH_GROUP_SIZES, BENCH_GROUP_SENDERS and BENCH_GROUP_WINDOW
 *                 override the sizes, senders and messages in flight per sender (scenario 7)
 *
 * `--quick` shrinks every scenario to check that it runs. BENCH_WORKERS (load processes, default 2)
 * and BENCH_WINDOW (messages in flight per pair, default 4) tune the load; BENCH_ROUNDS (default 3) and
 * BENCH_SECONDS (measured seconds per run, default 10) the throughput scenario's rounds.
 */
import { clusterThroughputScenario } from './cluster-throughput.js';
import { connectionsScenario } from './connections.js';
import { groupsScenario } from './groups.js';
import { historyScenario } from './history.js';
import { inboxScenario } from './inbox.js';
import { throughputScenario } from './throughput.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--'));
const workers = Number(process.env.BENCH_WORKERS ?? 2);
const window = Number(process.env.BENCH_WINDOW ?? 4);

const scenarios: Record<string, () => Promise<unknown>> = {
  throughput: () =>
    throughputScenario({
      pairCounts: quick ? [50] : [50, 500],
      window,
      warmupMs: quick ? 1000 : 2000,
      durationMs: quick ? 3000 : Number(process.env.BENCH_SECONDS ?? 10) * 1000,
      rounds: quick ? 1 : Number(process.env.BENCH_ROUNDS ?? 3),
      workers,
      ...(process.env.BENCH_BASELINE_REF ? { baselineRef: process.env.BENCH_BASELINE_REF } : {}),
      ...(process.env.BENCH_CANDIDATE_REF ? { candidateRef: process.env.BENCH_CANDIDATE_REF } : {}),
      ...(process.env.BENCH_PAIRS ? { pairCounts: process.env.BENCH_PAIRS.split(',').map(Number) } : {}),
    }),
  connections: () =>
    connectionsScenario({
      sockets: quick ? 1000 : 19_000,
      allScopeSockets: quick ? [500] : [1000, 2000],
      workers: 4,
      holdMs: quick ? 3000 : 40_000,
      concurrency: 100,
    }),
  history: () => historyScenario({ messages: quick ? 100_000 : 1_000_000, requests: quick ? 300 : 2_000 }),
  cluster: async () => {
    const { DATABASE_URL, REDIS_URL } = process.env;
    if (!DATABASE_URL || !REDIS_URL) {
      console.log('skipped: set DATABASE_URL and REDIS_URL to run the cluster scenario');
      return;
    }
    return clusterThroughputScenario({
      databaseUrl: DATABASE_URL,
      redisUrl: REDIS_URL,
      processCounts: [1, 3],
      pairs: quick ? 50 : 200,
      window,
      warmupMs: quick ? 1000 : 2000,
      durationMs: quick ? 3000 : 10_000,
      rounds: quick ? 1 : 2,
      workers,
    });
  },
  groups: () =>
    groupsScenario({
      sizes: process.env.BENCH_GROUP_SIZES
        ? process.env.BENCH_GROUP_SIZES.split(',').map(Number)
        : quick
          ? [10, 100]
          : [10, 100, 1000],
      tabs: Number(process.env.BENCH_TABS ?? 2),
      processCounts: [1, 3],
      rounds: quick ? 1 : Number(process.env.BENCH_ROUNDS ?? 3),
      warmupMs: quick ? 1000 : 2000,
      durationMs: quick ? 3000 : Number(process.env.BENCH_SECONDS ?? 10) * 1000,
      workers,
      ...(process.env.BENCH_GROUP_SENDERS ? { senders: Number(process.env.BENCH_GROUP_SENDERS) } : {}),
      ...(process.env.BENCH_GROUP_WINDOW ? { window: Number(process.env.BENCH_GROUP_WINDOW) } : {}),
      ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
      ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
    }),
  inbox: () =>
    inboxScenario({
      users: quick ? 10_000 : 100_000,
      messages: quick ? 100_000 : 1_000_000,
      focusConversations: quick ? 1_000 : 10_000,
      busyUsers: quick ? 20 : 200,
      busyConversations: quick ? 200 : 1_000,
      randomPairs: quick ? 10_000 : 100_000,
      unreadShare: 0.25,
      limit: 20,
      requests: quick ? 300 : 5_000,
      warmup: quick ? 50 : 200,
      rounds: quick ? 1 : 2,
      ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    }),
};

const names = wanted.length > 0 ? wanted : Object.keys(scenarios);
for (const name of names) {
  const scenario = scenarios[name];
  if (!scenario) {
    console.error(`unknown scenario: ${name} (known: ${Object.keys(scenarios).join(', ')})`);
    process.exitCode = 1;
    continue;
  }
  console.log(`\n=== ${name}${quick ? ' (quick)' : ''}`);
  await scenario();
}
process.exit(process.exitCode ?? 0);
