/**
 * Checks of the soak run (bench/soak.ts) once its load has stopped: the server's warn/error log lines,
 * the messages in storage, and the presence list a fresh connection receives.
 */
import { join } from 'node:path';
import { SQLite } from '../../src/store/sqlite-driver.js';
import pg from 'pg';
import { io } from 'socket.io-client';
import type { ServerHandle } from './server-process.js';
import type { BenchUser } from './users.js';

/**
 * Server log lines at warn (40) or above (the bench starts servers at LOG_LEVEL=warn), without stack
 * traces, which name machine paths.
 */
export function serverLogLines(server: ServerHandle): Array<{ level: number; msg?: string; err?: string }> {
  return server
    .output()
    .split('\n')
    .flatMap((line) => {
      try {
        const { level, msg, err } = JSON.parse(line);
        return typeof level === 'number' && level >= 40 ? [{ level, msg, err: err?.message }] : [];
      } catch {
        return [];
      }
    });
}

export async function storedMessages(server: ServerHandle, databaseUrl: string | undefined): Promise<number> {
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query('select count(*)::int as n from messages')).rows[0].n;
    } finally {
      await client.end();
    }
  }
  const db = new SQLite(join(server.dataDir, 'parley.db'), { readonly: true });
  try {
    return (db.prepare('select count(*) as n from messages').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The `online_users` list a fresh connection receives (every user but itself with an open socket). */
export async function onlineUsersSeenBy(url: string, user: BenchUser): Promise<number> {
  const auth = { token: user.token };
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<number>((resolve, reject) => {
      socket.once('online_users', (list: unknown[]) => resolve(list.length));
      socket.once('connect_error', reject);
      timer = setTimeout(() => reject(new Error('no online_users within 10 s')), 10_000);
    });
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}
