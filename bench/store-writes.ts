/**
 * The store's send path alone, build against build: `KyselyStore.insertMessage` from each build's `dist/`
 * (on SQLite, in this one process, alternating between builds every round), P pairs × 4 sends in flight,
 * each send yielding a turn of the event loop as a socket event would. Plain sends, and the typed client's
 * (`ack`: the client id looked up first, as the messaging service does, then stored). Prints msgs/s and
 * this process's CPU per message; checks afterwards that every member row's unread count and newest
 * message agree with the messages.
 *
 *   node --import tsx bench/store-writes.ts [name=dir ...]     (default: 2abb216 and this checkout)
 *
 * A `dir` is a checkout with a build in `dist/` (`npm run build`, or `tsc -p tsconfig.build.json`); a
 * name=ref with no such directory is built from git like BENCH_BASELINE_REF. STORE_PAIRS (default 50,500),
 * STORE_SECONDS (3), STORE_ROUNDS (3) and STORE_PATHS (bare,ack) tune it. Diagnostic only: the server-level
 * comparison is the throughput scenario with BENCH_BASELINE_REF.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SQLite } from '../src/store/sqlite-driver.js';
import { type Baseline, buildBaseline } from './lib/baseline.js';
import { buildParley, repoRoot } from './lib/server-process.js';
import { median } from './lib/stats.js';

const WINDOW = 4;
const pairCounts = (process.env.STORE_PAIRS ?? '50,500').split(',').map(Number);
const seconds = Number(process.env.STORE_SECONDS ?? 3);
const rounds = Number(process.env.STORE_ROUNDS ?? 3);
const paths = (process.env.STORE_PATHS ?? 'bare,ack').split(',') as Array<'bare' | 'ack'>;

interface OpenStore {
  store: any;
  users: string[];
  check(): string;
  close(): Promise<void>;
}

async function open(root: string, userCount: number): Promise<OpenStore> {
  const load = (file: string) => import(pathToFileURL(join(root, 'dist', 'store', file)).href);
  const { KyselyStore } = await load('kysely-store.js');
  const { createSqliteDialect } = await load('sqlite-dialect.js');
  const { migrateToLatest } = await load('migrations.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-store-writes-'));
  const file = join(dataDir, 'parley.db');
  const dialect = createSqliteDialect(file);
  await migrateToLatest(dialect);
  const store = new KyselyStore(dialect);
  const users: string[] = [];
  for (let i = 0; i < userCount; i++) {
    const user = await store.createUser({
      name: `Store User ${i}`,
      username: `store_${i}`,
      email: `store_${i}@bench.test`,
      role: 'customer',
      passwordHash: 'x',
      createdAt: new Date(),
    });
    users.push(user.id);
  }
  const check = () => {
    const db = new SQLite(file, { readonly: true });
    try {
      const tables = db.prepare(`select name from sqlite_master where type = 'table'`).pluck().all();
      if (!tables.includes('conversation_members')) return 'no member rows in this schema';
      const wrong = db
        .prepare(
          `select count(*) from conversation_members cm
           where unread_count <> (select count(*) from messages m where m.conversation_id = cm.conversation_id
             and m.receiver_id = cm.user_id and m.read_at is null)
           or last_message_id <> (select max(id) from messages m where m.conversation_id = cm.conversation_id)`,
        )
        .pluck()
        .get() as number;
      const all = db.prepare('select count(*) from conversation_members').pluck().get() as number;
      return `${wrong} of ${all} member rows disagree with the messages`;
    } finally {
      db.close();
    }
  };
  return {
    store,
    users,
    check,
    close: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function drive(s: OpenStore, pairs: number, path: 'bare' | 'ack') {
  let running = true;
  let measuring = false;
  let count = 0;
  const loops: Array<Promise<void>> = [];
  for (let p = 0; p < pairs; p++) {
    const a = s.users[2 * p]!;
    const b = s.users[2 * p + 1]!;
    for (let w = 0; w < WINDOW; w++) {
      loops.push(
        (async () => {
          for (let seq = 0; running; seq++) {
            const [sender, receiver] = seq % 2 ? [a, b] : [b, a];
            const clientMessageId = path === 'ack' ? randomBytes(16).toString('hex') : undefined;
            if (clientMessageId) await s.store.findByClientMessageId(sender, clientMessageId);
            await s.store.insertMessage({
              senderId: sender,
              receiverId: receiver,
              content: `${p} ${seq} ok sure thanks see you tomorrow`,
              sentAt: new Date(),
              ...(clientMessageId ? { clientMessageId } : {}),
            });
            if (measuring) count++;
            // The next send arrives in a later turn, as socket events do.
            await new Promise((r) => setImmediate(r));
          }
        })(),
      );
    }
  }
  await new Promise((r) => setTimeout(r, 1000));
  measuring = true;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const cpu = process.cpuUsage(cpuBefore);
  const elapsed = performance.now() - started;
  running = false;
  await Promise.all(loops);
  return { msgsPerSec: (count / elapsed) * 1000, cpuUsPerMessage: (cpu.user + cpu.system) / count };
}

const given = process.argv.slice(2).map((arg) => arg.split('=') as [string, string]);
const specs =
  given.length > 0
    ? given
    : ([
        ['2abb216', '2abb216'],
        ['current', repoRoot],
      ] as Array<[string, string]>);
const builds: Baseline[] = [];
const roots: Array<[string, string]> = [];
for (const [name, where] of specs) {
  if (where === repoRoot) {
    buildParley();
    roots.push([name, repoRoot]);
  } else if (existsSync(join(where, 'dist', 'store', 'kysely-store.js'))) {
    roots.push([name, where]);
  } else {
    const build = buildBaseline(where);
    builds.push(build);
    roots.push([name, build.root]);
  }
}
try {
  for (const pairs of pairCounts) {
    const stores = new Map<string, OpenStore>();
    for (const [name, root] of roots) stores.set(name, await open(root, pairs * 2));
    const results = new Map<string, Array<{ msgsPerSec: number; cpuUsPerMessage: number }>>();
    for (let round = 0; round < rounds; round++) {
      const order = roots.map((_, i) => roots[(i + round) % roots.length]!);
      for (const path of round % 2 ? [...paths].reverse() : paths) {
        for (const [name] of order) {
          const r = await drive(stores.get(name)!, pairs, path);
          const key = `${name} ${path}`;
          results.set(key, [...(results.get(key) ?? []), r]);
          console.log(
            `  pairs ${pairs} round ${round + 1} ${key.padEnd(20)} ${r.msgsPerSec.toFixed(0)} msgs/s, ` +
              `${r.cpuUsPerMessage.toFixed(1)} µs CPU per message`,
          );
        }
      }
    }
    for (const [key, runs] of results) {
      console.log(
        `pairs ${pairs} ${key.padEnd(20)} median ${median(runs.map((r) => r.msgsPerSec)).toFixed(0)} msgs/s, ` +
          `${median(runs.map((r) => r.cpuUsPerMessage)).toFixed(1)} µs CPU per message ` +
          `[${runs.map((r) => r.cpuUsPerMessage.toFixed(1)).join(', ')}]`,
      );
    }
    for (const [name, s] of stores) {
      console.log(`  ${name}: ${s.check()}`);
      await s.close();
    }
  }
} finally {
  for (const build of builds) build.remove();
}
process.exit(0);
