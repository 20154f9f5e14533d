/**
 * Scenario 6 — the inbox at scale: 100,000 users, 1,000,000 messages, a measured user with 10,000 direct
 * conversations (busy users with 1,000 each, random pairs for the rest), some conversations unread. On
 * SQLite and on PostgreSQL: sequential round trips of `get_conversations {limit: 20}` (page 1) and
 * `get_unread_count` over one socket with an ack, and of their REST routes; the store's own calls in
 * process; and the query plans of every statement those calls run. Target: p99 < 5 ms.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import { connect } from './lib/socket.js';
import { Argon2PasswordHasher } from '../src/security/argon2-password-hasher.js';
import { JoseTokenIssuer } from '../src/security/jose-token-issuer.js';
import { countUnread } from '../src/store/conversation-queries.js';
import { inbox } from '../src/store/conversation-views.js';
import type { StoreDialect } from '../src/store/dialect.js';
import { migrateToLatest } from '../src/store/migrations.js';
import { createPostgresDialect } from '../src/store/postgres-dialect.js';
import type { Database } from '../src/store/schema.js';
import { createSqliteDialect } from '../src/store/sqlite-dialect.js';
import { SQLite } from '../src/store/sqlite-driver.js';
import {
  FOCUS_USER,
  type InboxData,
  type InboxSeedPlan,
  loadInboxPostgres,
  loadInboxSqlite,
  planInbox,
} from './lib/seed-inbox.js';
import { BENCH_SECRET, type ServerHandle, startParley } from './lib/server-process.js';
import { type LatencySummary, machine, percentile, printTable, summarize, writeResult } from './lib/stats.js';

export interface InboxOptions extends InboxSeedPlan {
  /** Round trips per measurement, of which the first `warmup` are discarded. */
  requests: number;
  warmup: number;
  /** Each measurement is repeated this many times (interleaved), to show the spread. */
  rounds: number;
  /** Page size of the measured inbox page (the client's default, 20). */
  limit: number;
  /** PostgreSQL server (a fresh schema is made and dropped); PostgreSQL is skipped without it. */
  databaseUrl?: string;
}

const TARGET_P99_MS = 5;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

interface Measured extends LatencySummary {
  p999: number;
}

const measured = (samples: Float64Array): Measured => ({
  ...summarize(samples),
  p999: percentile(samples, 99.9),
});

/** `requests` sequential calls; each reply is checked after its time is taken; the warm-up is dropped. */
async function measure(
  requests: number,
  warmup: number,
  call: () => Promise<unknown>,
  check: (reply: unknown) => void,
): Promise<Measured> {
  const samples = new Float64Array(requests);
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const reply = await call();
    samples[i] = performance.now() - t0;
    check(reply);
  }
  return measured(samples.subarray(warmup));
}

/** The checks: page 1 is exactly the expected conversations; the count is the seeded unread total. */
function checkPage(data: InboxData, limit: number) {
  const want = data.focus.firstPage.slice(0, limit).map(String).join(',');
  return (reply: unknown) => {
    const body = reply as { conversations?: Array<{ _id: string }>; nextCursor?: string | null };
    const got = body.conversations?.map((c) => c._id).join(',');
    if (got !== want) throw new Error(`inbox page 1 is [${got}], expected [${want}]`);
    if (!body.nextCursor) throw new Error('inbox page 1 has no nextCursor');
  };
}
function checkCount(data: InboxData) {
  return (reply: unknown) => {
    const count = (reply as { count?: number }).count;
    if (count !== data.focus.unreadMessages)
      throw new Error(`unread count ${count}, expected ${data.focus.unreadMessages}`);
  };
}

/** Every statement the store's inbox page and unread count run, as Kysely compiles them for `db`. */
async function capturedStatements(
  make: (log: (e: LogEvent) => void) => Kysely<Database>,
  limit: number,
  embedsViews: boolean,
) {
  const statements: Array<{ call: string; sql: string; parameters: readonly unknown[] }> = [];
  let call = '';
  const db = make((e) => statements.push({ call, sql: e.query.sql, parameters: e.query.parameters }));
  try {
    call = 'inbox';
    // The service asks for one more than the page, to know whether there is a next page.
    // The dialect's one capability the inbox asks about; the rest of it is not used here.
    const dialect = { embedsViews } as StoreDialect;
    await inbox(db, dialect, String(FOCUS_USER), { limit: limit + 1 });
    call = 'unread';
    await countUnread(db, String(FOCUS_USER));
  } finally {
    await db.destroy();
  }
  return statements;
}

interface BackendResult {
  backend: 'sqlite' | 'postgres';
  loadMs: number;
  sizeBytes: number;
  plans: Array<{ call: string; sql: string; plan: string[] }>;
  runs: Array<{ path: string; round: number } & Measured>;
}

async function queryPlansSqlite(file: string, limit: number) {
  const statements = await capturedStatements(
    (log) =>
      new Kysely<Database>({
        dialect: new SqliteDialect({ database: new SQLite(file, { readonly: true }) }),
        log,
      }),
    limit,
    false,
  );
  const db = new SQLite(file, { readonly: true });
  try {
    return statements.map((s) => ({
      call: s.call,
      sql: s.sql,
      plan: db
        .prepare(`explain query plan ${s.sql}`)
        .all(...(s.parameters as unknown[]))
        .map((r) => (r as { detail: string }).detail),
    }));
  } finally {
    db.close();
  }
}

async function queryPlansPostgres(url: string, limit: number) {
  const statements = await capturedStatements(
    (log) =>
      new Kysely<Database>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
        log,
      }),
    limit,
    true,
  );
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const plans = [];
    for (const s of statements) {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `explain (analyze, costs off) ${s.sql}`,
        s.parameters as unknown[],
      );
      plans.push({ call: s.call, sql: s.sql, plan: rows.map((r) => r['QUERY PLAN']) });
    }
    return plans;
  } finally {
    await client.end();
  }
}

/** The store's calls in this process (no server, no transport): the storage share of a round trip. */
async function storeTimes(dialect: StoreDialect, data: InboxData, options: InboxOptions, round: number) {
  const user = String(FOCUS_USER);
  const page = checkPage(data, options.limit);
  const inboxRun = await measure(
    options.requests,
    options.warmup,
    () => inbox(dialect.db, dialect, user, { limit: options.limit + 1 }),
    (rows) =>
      page({
        conversations: (rows as Array<{ id: string }>).slice(0, options.limit).map((c) => ({ _id: c.id })),
        nextCursor: (rows as unknown[]).length > options.limit ? 'more' : null,
      }),
  );
  const unreadRun = await measure(
    options.requests,
    options.warmup,
    () => countUnread(dialect.db, user).then((count) => ({ count })),
    checkCount(data),
  );
  return [
    { path: 'store inbox(21)', round, ...inboxRun },
    { path: 'store countUnread', round, ...unreadRun },
  ];
}

async function transportTimes(server: ServerHandle, token: string, data: InboxData, options: InboxOptions) {
  const socket = await connect(server.url, token);
  const runs: BackendResult['runs'] = [];
  const rest = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const { requests, warmup, limit } = options;
  const paths: Array<[string, () => Promise<unknown>, (reply: unknown) => void]> = [
    [
      'socket get_conversations',
      () => socket.timeout(5000).emitWithAck('get_conversations', { limit }),
      checkPage(data, limit),
    ],
    ['socket get_unread_count', () => socket.timeout(5000).emitWithAck('get_unread_count'), checkCount(data)],
    ['REST GET /api/conversations', () => rest(`/api/conversations?limit=${limit}`), checkPage(data, limit)],
    ['REST GET /api/messages/unread-count', () => rest('/api/messages/unread-count'), checkCount(data)],
  ];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const [path, call, check] of paths) {
        const m = await measure(requests, warmup, call, check);
        runs.push({ path, round, ...m });
        console.log(
          `    ${path.padEnd(36)} round ${round}: p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, ` +
            `p99.9 ${m.p999.toFixed(2)} ms, max ${m.max.toFixed(1)} ms`,
        );
      }
    }
  } finally {
    socket.close();
  }
  return runs;
}

async function runSqlite(data: InboxData, hash: string, token: string, options: InboxOptions) {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-inbox-'));
  const file = join(dataDir, 'parley.db');
  let server: ServerHandle | undefined;
  try {
    const migrating = createSqliteDialect(file);
    await migrateToLatest(migrating);
    await migrating.db.destroy();
    const started = performance.now();
    loadInboxSqlite(dataDir, data, hash);
    const loadMs = performance.now() - started;
    const sizeBytes = statSync(file).size;
    console.log(
      `  sqlite: loaded in ${(loadMs / 1000).toFixed(1)} s, ${(sizeBytes / 2 ** 20).toFixed(0)} MiB`,
    );
    verifySqlite(file, data);
    const plans = await queryPlansSqlite(file, options.limit);
    const runs: BackendResult['runs'] = [];
    const dialect = createSqliteDialect(file);
    try {
      for (let round = 1; round <= options.rounds; round++)
        runs.push(...(await storeTimes(dialect, data, options, round)));
    } finally {
      await dialect.db.destroy();
    }
    server = await startParley({ dataDir });
    runs.push(...(await transportTimes(server, token, data, options)));
    return { backend: 'sqlite', loadMs, sizeBytes, plans, runs } satisfies BackendResult;
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The seeded counters agree with the messages: the unread total and the newest conversation. */
function verifySqlite(file: string, data: InboxData) {
  const db = new SQLite(file, { readonly: true });
  try {
    const unread = db
      .prepare('select count(*) as n from messages where receiver_id = ? and read_at is null')
      .get(FOCUS_USER) as { n: number };
    const newest = db
      .prepare(
        'select conversation_id as c from messages m where ? in (sender_id, receiver_id) order by id desc limit 1',
      )
      .get(FOCUS_USER) as { c: number };
    assertSeeded(Number(unread.n), Number(newest.c), data);
  } finally {
    db.close();
  }
}

function assertSeeded(unread: number, newest: number, data: InboxData) {
  if (unread !== data.focus.unreadMessages)
    throw new Error(
      `seeded ${unread} unread messages for the measured user, planned ${data.focus.unreadMessages}`,
    );
  if (newest !== data.focus.firstPage[0])
    throw new Error(`newest conversation ${newest}, planned ${data.focus.firstPage[0]}`);
}

async function runPostgres(
  databaseUrl: string,
  data: InboxData,
  hash: string,
  token: string,
  options: InboxOptions,
) {
  const schema = `parley_bench_inbox_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const schemaUrl = url.toString();
  let server: ServerHandle | undefined;
  try {
    const migrating = createPostgresDialect({ url: schemaUrl, poolMax: 1, logger: silent });
    await migrateToLatest(migrating);
    await migrating.db.destroy();
    const started = performance.now();
    await loadInboxPostgres(schemaUrl, data, hash);
    const loadMs = performance.now() - started;
    const client = new pg.Client({ connectionString: schemaUrl });
    await client.connect();
    let sizeBytes = 0;
    try {
      const size = await client.query<{ n: string }>(
        `select sum(pg_total_relation_size(c.oid))::text as n from pg_class c
         join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'r'`,
        [schema],
      );
      sizeBytes = Number(size.rows[0]?.n ?? 0);
      const unread = await client.query<{ n: string }>(
        'select count(*)::text as n from messages where receiver_id = $1 and read_at is null',
        [FOCUS_USER],
      );
      const newest = await client.query<{ c: string }>(
        'select conversation_id::text as c from messages where $1 in (sender_id, receiver_id) order by id desc limit 1',
        [FOCUS_USER],
      );
      assertSeeded(Number(unread.rows[0]?.n), Number(newest.rows[0]?.c), data);
    } finally {
      await client.end();
    }
    console.log(
      `  postgres: loaded in ${(loadMs / 1000).toFixed(1)} s, ${(sizeBytes / 2 ** 20).toFixed(0)} MiB`,
    );
    const plans = await queryPlansPostgres(schemaUrl, options.limit);
    const runs: BackendResult['runs'] = [];
    const dialect = createPostgresDialect({ url: schemaUrl, poolMax: 10, logger: silent });
    try {
      for (let round = 1; round <= options.rounds; round++)
        runs.push(...(await storeTimes(dialect, data, options, round)));
    } finally {
      await dialect.db.destroy();
    }
    server = await startParley({ env: { DATABASE_URL: schemaUrl } });
    runs.push(...(await transportTimes(server, token, data, options)));
    return { backend: 'postgres', loadMs, sizeBytes, plans, runs } satisfies BackendResult;
  } finally {
    await server?.stop();
    const drop = new pg.Client({ connectionString: databaseUrl });
    await drop.connect();
    await drop.query(`drop schema if exists ${schema} cascade`);
    await drop.end();
  }
}

export async function inboxScenario(options: InboxOptions) {
  const started = performance.now();
  const loadBefore = loadavg();
  const planned = performance.now();
  const data = planInbox(options, options.limit);
  const planMs = performance.now() - planned;
  const conversations = data.low.length;
  console.log(
    `  ${options.users.toLocaleString('en-US')} users, ${options.messages.toLocaleString('en-US')} messages, ` +
      `${conversations.toLocaleString('en-US')} conversations (planned in ${(planMs / 1000).toFixed(1)} s); ` +
      `measured user: ${data.focus.conversations.toLocaleString('en-US')} conversations, ` +
      `${data.focus.unreadConversations.toLocaleString('en-US')} unread, ${data.focus.unreadMessages.toLocaleString('en-US')} unread messages`,
  );
  const hash = await new Argon2PasswordHasher().hash('bench password 123');
  const token = await new JoseTokenIssuer({ secret: BENCH_SECRET, ttlSeconds: 86_400 }).issue(
    String(FOCUS_USER),
  );

  const results: BackendResult[] = [];
  console.log('  sqlite');
  results.push(await runSqlite(data, hash, token, options));
  if (options.databaseUrl) {
    console.log('  postgres');
    results.push(await runPostgres(options.databaseUrl, data, hash, token, options));
  } else {
    console.log('  postgres skipped: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
  }

  const rows: Array<Record<string, unknown>> = [];
  for (const r of results) {
    const paths = [...new Set(r.runs.map((x) => x.path))];
    for (const path of paths) {
      const of = r.runs.filter((x) => x.path === path);
      const range = (k: 'p50' | 'p99' | 'p999') => {
        const values = of.map((x) => x[k]);
        const lo = Math.min(...values);
        const hi = Math.max(...values);
        return of.length > 1 ? `${lo.toFixed(2)}–${hi.toFixed(2)}` : lo.toFixed(2);
      };
      const worstP99 = Math.max(...of.map((x) => x.p99));
      rows.push({
        backend: r.backend,
        path,
        rounds: of.length,
        'p50 ms': range('p50'),
        'p99 ms': range('p99'),
        'p99.9 ms': range('p999'),
        'max ms': Math.max(...of.map((x) => x.max)),
        [`p99 < ${TARGET_P99_MS} ms`]: worstP99 < TARGET_P99_MS ? 'yes' : 'NO',
      });
    }
  }
  for (const r of results) {
    console.log(`\n  ${r.backend} query plans:`);
    for (const p of r.plans) {
      console.log(`  [${p.call}] ${p.sql.replace(/\s+/g, ' ')}`);
      for (const line of p.plan) console.log(`      ${line}`);
    }
  }
  const loadAfter = loadavg();
  printTable(
    `Inbox: ${options.users.toLocaleString('en-US')} users, ${options.messages.toLocaleString('en-US')} messages, ` +
      `the measured user in ${data.focus.conversations.toLocaleString('en-US')} conversations; ` +
      `${options.requests - options.warmup} sequential requests per round after ${options.warmup} warm-up ` +
      `(ranges over rounds); 1-min load ${loadBefore[0]?.toFixed(1)} → ${loadAfter[0]?.toFixed(1)}`,
    rows,
  );
  const result = {
    machine: await machine(),
    options,
    data: {
      conversations,
      memberRows: conversations * 2,
      focus: { ...data.focus, firstPage: undefined },
    },
    targetP99Ms: TARGET_P99_MS,
    backends: results,
    summary: rows,
    runMs: performance.now() - started,
    loadAverage: { before: loadBefore, after: loadAfter },
  };
  writeResult('inbox', result);
  return result;
}
