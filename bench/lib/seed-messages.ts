import { join } from 'node:path';
import { SQLite, type SqliteDatabase } from '../../src/store/sqlite-driver.js';

export interface SeededMessage {
  id: number;
  senderId: string;
  receiverId: string;
  content: string;
}

export interface MessageSeedPlan {
  /** Rows to insert in all. */
  total: number;
  /** The conversation a scenario measures: `count` of the rows, spread evenly through the table. */
  focus: { a: string; b: string; count: number };
  /** Decimal user ids; the other rows go to `otherPairs` random pairs of them (the focus users included). */
  userIds: string[];
  otherPairs: number;
  seed?: number;
}

export interface MessageSeedResult {
  /** The focus conversation's rows, oldest first (ascending id). */
  focus: SeededMessage[];
  /** The focus pair's direct conversation. */
  focusConversationId: number;
  elapsedMs: number;
}

/** Small deterministic PRNG (mulberry32), so every run seeds the same table. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const WORDS =
  'ok sure thanks see you tomorrow the order shipped today can we talk about invoice later please'.split(' ');

const COLUMNS = 6;

/**
 * The pairs' direct conversations (created where missing, with their two members) by `low:high`. Their
 * member rows' counters are set by `recountMembers` once the messages are in.
 */
function directConversations(db: SqliteDatabase, pairs: Array<[number, number]>, now: number) {
  const find = db.prepare('select id from conversations where direct_low = ? and direct_high = ?').pluck();
  const insert = db.prepare(
    `insert into conversations (type, title, direct_low, direct_high, created_by, created_at, member_count)
     values ('direct', null, ?, ?, ?, ?, 2) returning id`,
  );
  const member = db.prepare(
    `insert into conversation_members (conversation_id, user_id, role, joined_at, last_activity_at)
     values (?, ?, 'member', ?, ?)`,
  );
  const ids = new Map<string, number>();
  db.transaction(() => {
    for (const [a, b] of pairs) {
      const [low, high] = a < b ? [a, b] : [b, a];
      const key = `${low}:${high}`;
      if (ids.has(key)) continue;
      let id = find.get(low, high) as number | undefined;
      if (id === undefined) {
        id = (insert.get(low, high, low, now) as { id: number }).id;
        member.run(id, low, now, now);
        member.run(id, high, now, now);
      }
      ids.set(key, id);
    }
  })();
  return (a: number, b: number) => ids.get(a < b ? `${a}:${b}` : `${b}:${a}`) as number;
}

/** Sets every member row's unread count, newest message and activity time from the stored messages. */
export function recountMembers(db: SqliteDatabase): void {
  db.exec(`update conversation_members set
    unread_count = (select count(*) from messages m where m.conversation_id = conversation_members.conversation_id
      and m.receiver_id = conversation_members.user_id and m.read_at is null),
    last_message_id = coalesce((select max(m.id) from messages m
      where m.conversation_id = conversation_members.conversation_id), 0),
    last_activity_at = coalesce((select max(m.sent_at) from messages m
      where m.conversation_id = conversation_members.conversation_id), last_activity_at)`);
}
const ROWS_PER_STATEMENT = 500; // 3,500 parameters, far under SQLite's 32,766
const ROWS_PER_TRANSACTION = 100_000;

/**
 * Inserts `plan.total` messages straight into the (already migrated, users seeded) SQLite database in
 * `dataDir`, shaped as KyselyStore writes them: each pair's direct conversation with its members, epoch-ms times,
 * `read_at` set on older rows and null on the newest. Ids are assigned by SQLite in insertion order.
 * Must run before the server opens the file.
 */
export function seedMessages(dataDir: string, plan: MessageSeedPlan): MessageSeedResult {
  const started = performance.now();
  const rand = random(plan.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const focusPair: [number, number] = [Number(plan.focus.a), Number(plan.focus.b)];
  const userIds = plan.userIds.map(Number);
  const isFocusPair = (a: number, b: number) =>
    (a === focusPair[0] && b === focusPair[1]) || (a === focusPair[1] && b === focusPair[0]);
  const pairs: Array<[number, number]> = [];
  while (pairs.length < plan.otherPairs) {
    const a = pick(userIds);
    const b = pick(userIds);
    if (a !== b && !isFocusPair(a, b)) pairs.push([a, b]);
  }

  const db = new SQLite(join(dataDir, 'parley.db'));
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -524288'); // 512 MiB: the indexes stay in memory while they grow
  const conversationOf = directConversations(db, [focusPair, ...pairs], Date.now() - plan.total * 1000);
  const columns = '(conversation_id, sender_id, receiver_id, content, sent_at, read_at)';
  const statementFor = (rows: number) =>
    db.prepare(`insert into messages ${columns} values ${Array(rows).fill('(?, ?, ?, ?, ?, ?)').join(', ')}`);
  const full = statementFor(ROWS_PER_STATEMENT);
  const startId =
    ((db.prepare('select max(id) as m from messages').get() as { m: number | null }).m ?? 0) + 1;

  const now = Date.now();
  const base = now - plan.total * 1000; // one message a second, the newest just now
  const unreadFrom = plan.total - Math.max(1, Math.floor(plan.total / 50)); // newest 2%: half unread
  const focus: SeededMessage[] = [];
  let params: unknown[] = [];
  const flush = () => {
    const rows = params.length / COLUMNS;
    if (rows === 0) return;
    (rows === ROWS_PER_STATEMENT ? full : statementFor(rows)).run(params);
    params = [];
  };
  const insertRange = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const isFocus =
        Math.floor(((i + 1) * plan.focus.count) / plan.total) >
        Math.floor((i * plan.focus.count) / plan.total);
      let [sender, receiver] = isFocus ? focusPair : pick(pairs);
      if (rand() < 0.5) [sender, receiver] = [receiver, sender];
      const words = 2 + Math.floor(rand() * 14);
      let content = `#${i}`;
      for (let w = 0; w < words; w++) content += ` ${pick(WORDS)}`;
      const sentAt = base + i * 1000;
      const readAt = i < unreadFrom || rand() < 0.5 ? sentAt + 30_000 : null;
      params.push(conversationOf(sender, receiver), sender, receiver, content, sentAt, readAt);
      if (params.length === ROWS_PER_STATEMENT * COLUMNS) flush();
      if (isFocus) {
        focus.push({ id: startId + i, senderId: String(sender), receiverId: String(receiver), content });
      }
    }
    flush();
  });
  for (let from = 0; from < plan.total; from += ROWS_PER_TRANSACTION) {
    insertRange(from, Math.min(plan.total, from + ROWS_PER_TRANSACTION));
  }

  recountMembers(db);

  // The ids SQLite assigned must be the ones computed above.
  const stored = db
    .prepare('select id from messages where conversation_id = ? order by id')
    .pluck()
    .all(conversationOf(...focusPair)) as number[];
  if (stored.length !== focus.length || stored.some((id, k) => id !== focus[k]?.id)) {
    throw new Error(`seeded focus ids differ from the expected ones (${stored.length} vs ${focus.length})`);
  }
  db.pragma('journal_mode = WAL');
  db.close();
  return { focus, focusConversationId: conversationOf(...focusPair), elapsedMs: performance.now() - started };
}
