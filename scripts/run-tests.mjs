#!/usr/bin/env node
// Runs the test suites with Node's test runner (TypeScript through tsx).
//
//   node scripts/run-tests.mjs                 every suite: unit, contract and integration on SQLite + memory,
//                                              then the integration suite again on PostgreSQL + Redis
//   node scripts/run-tests.mjs <dir|file> ...  just those files, on the default backends
//
// Suites that need PostgreSQL, Redis or Chromium skip themselves, with the reason, when those are missing;
// the PostgreSQL + Redis pass is skipped likewise, and the summary at the end lists every skip. Under
// CI=true a missing one fails the run instead (test/support/required.ts), so green means all of it ran.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';

const DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

const collect = (targets) => {
  const files = [];
  const walk = (path) => {
    if (!existsSync(path)) return;
    if (statSync(path).isFile()) return void files.push(path);
    for (const entry of readdirSync(path).sort()) {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith('.test.ts')) files.push(full);
    }
  };
  targets.forEach(walk);
  return files;
};

const CI = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
/** Must match MISSING in test/support/required.ts: the prefix of a skip for a missing service or tool. */
const MISSING = 'missing:';
const scratch = mkdtempSync(join(tmpdir(), 'parley-run-tests-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
/** Every skip reported by the passes so far: { pass, file, name, reason }. */
const skips = [];

const run = (title, files, env = {}) => {
  console.log(`\n=== ${title} (${files.length} files)\n`);
  const skipFile = join(scratch, `skips-${skips.length}-${Date.now()}.jsonl`);
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      // A test that hangs fails after three minutes instead of holding the whole run.
      '--test-timeout=180000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=./scripts/skip-reporter.mjs',
      `--test-reporter-destination=${skipFile}`,
      ...files,
    ],
    {
      stdio: 'inherit',
      env: { ...process.env, ...env },
    },
  );
  if (existsSync(skipFile)) {
    for (const line of readFileSync(skipFile, 'utf8').split('\n').filter(Boolean))
      skips.push({ pass: title, ...JSON.parse(line) });
  }
  return result.status ?? 1;
};

const relative = (file) => (file ?? '').replace(`${process.cwd()}/`, '');
const printSkips = () => {
  for (const s of skips)
    console.log(`skipped: ${relative(s.file)} › ${s.name}${s.reason ? ` (${s.reason})` : ''} [${s.pass}]`);
};
const missingSkips = () => skips.filter((s) => s.reason.startsWith(MISSING));

async function unreachable() {
  const reasons = [];
  const db = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await db.connect();
    await db.query('select 1');
  } catch (err) {
    reasons.push(`PostgreSQL is not reachable at ${DATABASE_URL} (${err.message})`);
  } finally {
    await db.end().catch(() => undefined);
  }
  const redis = createClient({ url: REDIS_URL, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    reasons.push(`Redis is not reachable at ${REDIS_URL} (${err.message})`);
  } finally {
    if (redis.isOpen) await redis.close().catch(() => undefined);
  }
  return reasons;
}

const explicit = process.argv.slice(2);
if (explicit.length > 0) {
  const files = collect(explicit);
  if (files.length === 0) {
    console.error('No test files found in', explicit.join(', '));
    process.exit(1);
  }
  const status = run('selected suites', files);
  if (skips.length > 0) {
    console.log('\n=== skipped');
    printSkips();
  }
  process.exit(status);
}

const reasons = await unreachable();
const failures = [];
const skipped = [];
if (
  run(
    'unit, contract, integration and browser suites (SQLite + memory)',
    collect(['test/unit', 'test/contract', 'test/integration', 'test/e2e']),
  ) !== 0
) {
  failures.push('SQLite + memory pass');
}
// Suites that spawn their own processes choose their own backends; the rest run again on the scaled ones.
const scaledFiles = collect(['test/integration']).filter(
  (f) => !/(startup|cluster|process-)[^/]*\.test\.ts$/.test(f),
);
if (reasons.length > 0 && CI) {
  console.log(`\n=== PostgreSQL + Redis pass: cannot run under CI=true: ${reasons.join('; ')}`);
  failures.push(`PostgreSQL + Redis pass (${reasons.join('; ')})`);
} else if (reasons.length > 0) {
  skipped.push(`integration suite on PostgreSQL + Redis: ${reasons.join('; ')}`);
} else if (
  run('integration suites again on PostgreSQL + Redis', scaledFiles, { PARLEY_TEST_BACKEND: 'scaled' }) !== 0
) {
  failures.push('PostgreSQL + Redis pass');
}

console.log('\n=== summary');
printSkips();
for (const s of skipped) console.log(`skipped: ${s}`);
const missing = missingSkips().length;
if (failures.length > 0) {
  console.log(`failed: ${failures.join(', ')}`);
  process.exit(1);
}
if (skipped.length === 0 && missing === 0) {
  console.log('passed: every suite, on every backend');
} else {
  const parts = [
    ...skipped.map(() => 'the PostgreSQL + Redis pass'),
    ...(missing > 0 ? [`${missing} suite(s) or test(s) whose service or tool is missing`] : []),
  ];
  console.log(`passed, but NOT everything ran: skipped ${parts.join(' and ')} (listed above)`);
}
