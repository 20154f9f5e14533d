import {
  type DatabaseConnection,
  type Driver,
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
  private readonly waiters: Array<() => void> = [];
  private held = false;

  override async acquireConnection(): Promise<DatabaseConnection> {
    if (this.held) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.held = true;
    return super.acquireConnection();
  }

  override async releaseConnection(): Promise<void> {
    await super.releaseConnection();
    const next = this.waiters.shift();
    // The lock passes straight to the next waiter (still held), or is freed.
    if (next) next();
    else this.held = false;
  }
}

/** `SqliteDialect` with the first-in-first-out driver above. */
export class FifoSqliteDialect extends SqliteDialect {
  constructor(private readonly driverConfig: SqliteDialectConfig) {
    super(driverConfig);
  }

  override createDriver(): Driver {
    return new FifoSqliteDriver(this.driverConfig);
  }
}
