/**
 * `npm run bench [-- scenario ...] [--quick]`: runs the benchmark scenarios (default: all) and prints
 * their tables; results go to bench/results/. Never part of `npm test`.
 */
import { throughputScenario } from './throughput.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--'));
const all = ['throughput'];
const scenarios = wanted.length > 0 ? wanted : all;

for (const name of scenarios) {
  console.log(`\n=== ${name}${quick ? ' (quick)' : ''}`);
  if (name === 'throughput') {
    await throughputScenario({
      pairCounts: quick ? [50] : [50, 500],
      window: Number(process.env.BENCH_WINDOW ?? 4),
      warmupMs: quick ? 1000 : 2000,
      durationMs: quick ? 3000 : 10_000,
      rounds: quick ? 1 : 2,
      workers: Number(process.env.BENCH_WORKERS ?? 2),
    });
  } else {
    console.error(`unknown scenario: ${name} (known: ${all.join(', ')})`);
    process.exitCode = 1;
  }
}
process.exit(process.exitCode ?? 0);
