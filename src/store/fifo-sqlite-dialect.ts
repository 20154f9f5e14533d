import {
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';

/**
 * Kysely's SQLite driver guards its one connection with a lock that wakes every waiter whenever it is
 * released, so N queued queries cost O(N²) — a burst of thousands of disconnects (each storing
 * `lastSeen`) stalled the event loop for seconds. This driver queues callers first-in-first-out in front
 * of that lock and hands it to exactly one waiter at a time, so Kysely's own lock never has more than one.
 */
class FifoSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly turns: Turns,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const { turns } = this;
    if (turns.held) await new Promise<void>((resolve) => turns.waiters.push(resolve));
    turns.held = true;
    return super.acquireConnection();
  }

  override async releaseConnection(): Promise<void> {
    await super.releaseConnection();
    const next = this.turns.waiters.shift();
    // The lock passes straight to the next waiter (still held), or is freed.
    if (next) next();
    else this.turns.held = false;
  }
}

/** Whose turn it is on one database file, for every connection this process has to it. */
interface Turns {
  waiters: Array<() => void>;
  held: boolean;
}

/**
 * Connections of one process to one file take turns here too: a transaction holds its connection across
 * awaits, and a second connection writing meanwhile would wait synchronously (busy timeout) on the very
 * event loop the first one needs to commit.
 */
const turnsByFile = new Map<string, Turns>();
const turnsFor = (file: string | undefined): Turns => {
  if (file === undefined) return { waiters: [], held: false };
  let turns = turnsByFile.get(file);
  if (!turns) turnsByFile.set(file, (turns = { waiters: [], held: false }));
  return turns;
};

/** `SqliteDialect` with the first-in-first-out driver above. */
export class FifoSqliteDialect extends SqliteDialect {
  /** `file`: the database's absolute path, shared by its connections in this process; none for memory. */
  constructor(
    private readonly driverConfig: SqliteDialectConfig,
    private readonly file?: string,
  ) {
    super(driverConfig);
  }

  override createDriver(): Driver {
    return new FifoSqliteDriver(this.driverConfig, turnsFor(this.file));
  }

  /**
   * SQLite runs DDL inside transactions; saying so makes Kysely's migrator run each migration and its
   * bookkeeping row in one transaction, so a migration that fails part-way (or a process killed during
   * it) leaves the database as it was, and the next start runs it again.
   */
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
