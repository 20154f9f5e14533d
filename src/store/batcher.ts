/**
 * Coalesces calls into batches ("group commit"): `add` queues an item and resolves with its own result
 * once the batch containing it has been handled. A batch is handled on `setImmediate`, or as soon as it
 * holds `maxBatch` items — one batch at a time: items added while one is being handled wait for the next
 * (so a slow store sees fewer, larger batches, not more concurrent ones). If handling a whole batch fails
 * with an error `retryAlone` accepts (by default any), each item is retried alone, so one bad item fails
 * only its own caller; other errors (the store is unreachable) fail the whole batch at once.
 *
 * @example
 * const inserts = new Batcher((rows) => insertAllInOneStatement(rows), 500);
 * const id = await inserts.add(row);
 */
export class Batcher<T, R> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;
  private running: Promise<void> | undefined;

  constructor(
    /** Handles a batch; resolves one result per item, in order. */
    private readonly handle: (items: T[]) => Promise<R[]>,
    private readonly maxBatch: number,
    private readonly retryAlone: (err: unknown) => boolean = () => true,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Resolves once every item added so far has been handled. */
  async drain(): Promise<void> {
    this.flush();
    while (this.running) await this.running;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.running || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.running = this.run(batch).finally(() => {
      this.running = undefined;
      this.flush();
    });
  }

  private async run(batch: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }>) {
    try {
      const results = await this.handle(batch.map((b) => b.item));
      if (results.length !== batch.length)
        throw new Error(`batch handler returned ${results.length} results for ${batch.length} items`);
      batch.forEach((b, i) => b.resolve(results[i] as R));
    } catch (err) {
      if (batch.length === 1 || !this.retryAlone(err)) {
        for (const b of batch) b.reject(err);
        return;
      }
      // One after another: the handler may hold a connection (and a lock) per call.
      for (const b of batch) {
        try {
          const results = await this.handle([b.item]);
          if (results.length !== 1)
            throw new Error(`batch handler returned ${results.length} results for 1 items`);
          b.resolve(results[0] as R);
        } catch (itemErr) {
          b.reject(itemErr);
        }
      }
    }
  }
}
