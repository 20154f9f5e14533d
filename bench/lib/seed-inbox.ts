import { join } from 'node:path';
import pg from 'pg';
import { SQLite } from '../../src/store/sqlite-driver.js';

/**
 * The inbox scenario's data: `users` users (ids 1…users), direct conversations between them (ids in
 * creation order) and `messages` messages (ids 1…messages in time order), with every member row's
 * counters — unread count, read cursor, newest message, activity time — computed here as the server keeps
 * them, so they are exact without a recount over the messages table. User 1 is the measured user.
 */
export interface InboxSeedPlan {
  users: number;
  messages: number;
  /** Direct conversations of the measured user (user 1), with partners drawn at random. */
  focusConversations: number;
  /** Users 2…busyUsers+1 have `busyConversations` conversations each (others have many too). */
  busyUsers: number;
  busyConversations: number;
  /** Further conversations between random pairs, so that most users have one or two. */
  randomPairs: number;
  /** Share of conversations whose newest 1–5 messages are still unread by their receivers. */
  unreadShare: number;
  seed?: number;
}

export interface InboxData {
  plan: InboxPlanFilled;
  /** Conversation c (0-based) has id c + 1 and members low[c] < high[c]. */
  low: Int32Array;
  high: Int32Array;
  /** Message i (0-based) has id i + 1: its conversation index, whether the lower member sent it, unread. */
  messageConversation: Int32Array;
  sentByLow: Uint8Array;
  unread: Uint8Array;
  /** Per conversation: newest message id; unread counts of each member; newest id before the unread tail. */
  lastId: Int32Array;
  unreadLow: Int32Array;
  unreadHigh: Int32Array;
  readUpTo: Int32Array;
  /** Epoch ms of message id 1; message id k was sent at base + (k - 1) * STEP_MS. */
  base: number;
  focus: {
    userId: number;
    conversations: number;
    unreadConversations: number;
    unreadMessages: number;
    /** Page 1 of the inbox as the server must answer it: conversation ids, newest activity first. */
    firstPage: number[];
  };
}

type InboxPlanFilled = Required<InboxSeedPlan>;

export const FOCUS_USER = 1;
const STEP_MS = 1000;
const WORDS =
  'ok sure thanks see you tomorrow the order shipped today can we talk about invoice later please'.split(' ');

/** Small deterministic PRNG (mulberry32), so every run seeds the same data. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Builds the whole data set in memory (typed arrays; about 40 MB for 1,000,000 messages). */
export function planInbox(input: InboxSeedPlan, firstPageSize = 20): InboxData {
  const plan: InboxPlanFilled = { seed: 7, ...input };
  const rand = random(plan.seed);
  const userAt = () => 1 + Math.floor(rand() * plan.users);
  const keys = new Set<number>();
  const lows: number[] = [];
  const highs: number[] = [];
  const add = (a: number, b: number): boolean => {
    if (a === b) return false;
    const [l, h] = a < b ? [a, b] : [b, a];
    const key = l * 2 ** 20 + h;
    if (keys.has(key)) return false;
    keys.add(key);
    lows.push(l);
    highs.push(h);
    return true;
  };
  for (let made = 0; made < plan.focusConversations;) if (add(FOCUS_USER, userAt())) made++;
  for (let u = 2; u < 2 + plan.busyUsers; u++) {
    for (let made = 0; made < plan.busyConversations;) if (add(u, userAt())) made++;
  }
  for (let made = 0; made < plan.randomPairs;) if (add(userAt(), userAt())) made++;
  // Creation order is shuffled too, so conversation ids say nothing about whose they are.
  const conversations = lows.length;
  const order = Int32Array.from({ length: conversations }, (_, i) => i);
  for (let i = conversations - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const low = Int32Array.from(order, (k) => lows[k]!);
  const high = Int32Array.from(order, (k) => highs[k]!);

  if (plan.messages < conversations) {
    throw new Error(`inbox: ${plan.messages} messages cannot give ${conversations} conversations one each`);
  }
  // Every conversation gets one message; the rest go to conversations at random; then time order is shuffled.
  const messageConversation = new Int32Array(plan.messages);
  for (let i = 0; i < plan.messages; i++) {
    messageConversation[i] = i < conversations ? i : Math.floor(rand() * conversations);
  }
  for (let i = plan.messages - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = messageConversation[i]!;
    messageConversation[i] = messageConversation[j]!;
    messageConversation[j] = t;
  }
  const count = new Int32Array(conversations);
  for (const c of messageConversation) count[c]! += 1;
  const lag = new Int32Array(conversations);
  for (let c = 0; c < conversations; c++) {
    if (rand() < plan.unreadShare) lag[c] = Math.min(count[c]!, 1 + Math.floor(rand() * 5));
  }

  const sentByLow = new Uint8Array(plan.messages);
  const unread = new Uint8Array(plan.messages);
  const lastId = new Int32Array(conversations);
  const unreadLow = new Int32Array(conversations);
  const unreadHigh = new Int32Array(conversations);
  const readUpTo = new Int32Array(conversations);
  const seen = new Int32Array(conversations);
  for (let i = 0; i < plan.messages; i++) {
    const c = messageConversation[i]!;
    const id = i + 1;
    const byLow = rand() < 0.5;
    sentByLow[i] = byLow ? 1 : 0;
    seen[c]! += 1;
    if (seen[c]! > count[c]! - lag[c]!) {
      unread[i] = 1;
      if (byLow) unreadHigh[c]! += 1;
      else unreadLow[c]! += 1;
    } else {
      readUpTo[c] = id;
    }
    lastId[c] = id;
  }

  const mine: number[] = [];
  for (let c = 0; c < conversations; c++) if (low[c] === FOCUS_USER) mine.push(c);
  let unreadConversations = 0;
  let unreadMessages = 0;
  for (const c of mine) {
    // The focus user is always the lower id of their pairs.
    if (unreadLow[c]! > 0) unreadConversations++;
    unreadMessages += unreadLow[c]!;
  }
  // Activity times are distinct (one message per STEP_MS), so newest activity first is by last message id.
  const firstPage = mine
    .sort((a, b) => lastId[b]! - lastId[a]!)
    .slice(0, firstPageSize)
    .map((c) => c + 1);
  return {
    plan,
    low,
    high,
    messageConversation,
    sentByLow,
    unread,
    lastId,
    unreadLow,
    unreadHigh,
    readUpTo,
    base: Date.now() - plan.messages * STEP_MS,
    focus: {
      userId: FOCUS_USER,
      conversations: mine.length,
      unreadConversations,
      unreadMessages,
      firstPage,
    },
  };
}

const sentAt = (data: InboxData, id: number) => data.base + (id - 1) * STEP_MS;
const createdAt = (data: InboxData) => data.base - 86_400_000;

/** The rows of each table, produced batch by batch as arrays of columns' values. */
function* userRows(data: InboxData, hash: string) {
  const now = Date.now();
  for (let id = 1; id <= data.plan.users; id++) {
    yield [id, `Inbox User ${id}`, `inbox_${id}`, `inbox_${id}@bench.test`, 'customer', hash, null, now];
  }
}
function* conversationRows(data: InboxData) {
  const at = createdAt(data);
  for (let c = 0; c < data.low.length; c++) {
    yield [c + 1, 'direct', null, data.low[c]!, data.high[c]!, data.low[c]!, at, 2];
  }
}
function* memberRows(data: InboxData) {
  const joined = createdAt(data);
  for (let c = 0; c < data.low.length; c++) {
    const last = data.lastId[c]!;
    for (const side of [0, 1]) {
      const unreadCount = side === 0 ? data.unreadLow[c]! : data.unreadHigh[c]!;
      const readUpTo = unreadCount > 0 ? data.readUpTo[c]! : last;
      yield [
        c + 1,
        side === 0 ? data.low[c]! : data.high[c]!,
        'member',
        joined,
        readUpTo,
        readUpTo > 0 ? sentAt(data, readUpTo) + 30_000 : null,
        unreadCount,
        last,
        sentAt(data, last),
      ];
    }
  }
}
function* messageRows(data: InboxData) {
  const rand = random(data.plan.seed + 1);
  for (let i = 0; i < data.plan.messages; i++) {
    const c = data.messageConversation[i]!;
    const [sender, receiver] = data.sentByLow[i]
      ? [data.low[c]!, data.high[c]!]
      : [data.high[c]!, data.low[c]!];
    const words = 2 + Math.floor(rand() * 14);
    let content = `#${i + 1}`;
    for (let w = 0; w < words; w++) content += ` ${WORDS[Math.floor(rand() * WORDS.length)]}`;
    const at = sentAt(data, i + 1);
    yield [i + 1, c + 1, sender, receiver, content, at, data.unread[i] ? null : at + 30_000];
  }
}

const TABLES = {
  users: {
    columns: ['id', 'name', 'username', 'email', 'role', 'password_hash', 'last_seen', 'created_at'],
    types: ['bigint', 'text', 'text', 'text', 'text', 'text', 'bigint', 'bigint'],
  },
  conversations: {
    columns: ['id', 'type', 'title', 'direct_low', 'direct_high', 'created_by', 'created_at', 'member_count'],
    types: ['bigint', 'text', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'integer'],
  },
  conversation_members: {
    columns: [
      'conversation_id',
      'user_id',
      'role',
      'joined_at',
      'last_read_message_id',
      'last_read_at',
      'unread_count',
      'last_message_id',
      'last_activity_at',
    ],
    types: ['bigint', 'bigint', 'text', 'bigint', 'bigint', 'bigint', 'integer', 'bigint', 'bigint'],
  },
  messages: {
    columns: ['id', 'conversation_id', 'sender_id', 'receiver_id', 'content', 'sent_at', 'read_at'],
    types: ['bigint', 'bigint', 'bigint', 'bigint', 'text', 'bigint', 'bigint'],
  },
} as const;
type TableName = keyof typeof TABLES;

const tableRows = (data: InboxData, hash: string): Array<[TableName, Iterable<unknown[]>]> => [
  ['users', userRows(data, hash)],
  ['conversations', conversationRows(data)],
  ['conversation_members', memberRows(data)],
  ['messages', messageRows(data)],
];

/**
 * Writes the data into the (migrated, empty) SQLite database in `dataDir`: multi-row INSERTs of explicit
 * ids, journal off while loading. Must run before a server opens the file.
 */
export function loadInboxSqlite(dataDir: string, data: InboxData, passwordHash: string): void {
  const db = new SQLite(join(dataDir, 'parley.db'));
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -524288');
  try {
    for (const [table, rows] of tableRows(data, passwordHash)) {
      const { columns } = TABLES[table];
      const perStatement = Math.floor(30_000 / columns.length);
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      const statementFor = (n: number) =>
        db.prepare(`insert into ${table} (${columns.join(', ')}) values ${Array(n).fill(tuple).join(', ')}`);
      const full = statementFor(perStatement);
      let params: unknown[] = [];
      const flush = () => {
        const n = params.length / columns.length;
        if (n > 0) (n === perStatement ? full : statementFor(n)).run(params);
        params = [];
      };
      db.transaction(() => {
        for (const row of rows) {
          params.push(...row);
          if (params.length === perStatement * columns.length) flush();
        }
        flush();
      })();
    }
    // AUTOINCREMENT keeps its high-water mark in sqlite_sequence; explicit ids set it already.
  } finally {
    db.pragma('journal_mode = WAL');
    db.close();
  }
}

/**
 * Writes the data into the (migrated, empty) PostgreSQL schema of `url`: one `INSERT … SELECT FROM
 * unnest($1::bigint[], …)` per batch of 20,000 rows (a handful of parameters, one array per column),
 * foreign-key triggers off while loading (`session_replication_role = replica`: the data is consistent by
 * construction), sequences moved past the explicit ids, then VACUUM ANALYZE — the state autovacuum
 * brings a loaded database to.
 */
export async function loadInboxPostgres(url: string, data: InboxData, passwordHash: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`set session_replication_role = replica`);
    for (const [table, rows] of tableRows(data, passwordHash)) {
      const { columns, types } = TABLES[table];
      const text = `insert into ${table} (${columns.join(', ')})
        select * from unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;
      let batch: unknown[][] = columns.map(() => []);
      let n = 0;
      const flush = async () => {
        if (n > 0) await client.query(text, batch);
        batch = columns.map(() => []);
        n = 0;
      };
      await client.query('begin');
      for (const row of rows) {
        row.forEach((v, i) => batch[i]!.push(v));
        if (++n === 20_000) await flush();
      }
      await flush();
      await client.query('commit');
    }
    await client.query(`set session_replication_role = origin`);
    for (const table of ['users', 'conversations', 'messages']) {
      await client.query(
        `select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`,
      );
    }
    await client.query('vacuum analyze users, conversations, conversation_members, messages');
  } finally {
    await client.end();
  }
}
