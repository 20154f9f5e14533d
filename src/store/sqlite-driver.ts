import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

export type SqliteDatabase = BetterSqlite3.Database;
export type SqliteStatement = BetterSqlite3.Statement;

const require = createRequire(import.meta.url);

/**
 * The better-sqlite3 build for this Node.js: 12.x (compiled at install) on Node 20; on Node 22 and later
 * 13.x, a Node-API build shipped prebuilt as the optional dependency `better-sqlite3-napi` — 12.x's
 * objects can abort the process when garbage-collected on Node 24, and 13.x does not run on Node 20.
 * Both have the same API.
 */
export const SQLite: typeof BetterSqlite3 = (() => {
  if (Number(process.versions.node.split('.')[0]) >= 22) {
    try {
      return require('better-sqlite3-napi') as typeof BetterSqlite3;
    } catch {
      // Not installed (optional): the compiled 12.x below.
    }
  }
  return require('better-sqlite3') as typeof BetterSqlite3;
})();
