/**
 * Coalesces calls made during one turn of the event loop into one batch ("group commit"): `add` queues an
 * item and resolves with its own result once the batch containing it has been handled. A batch is handled
 * on `setImmediate`, or as soon as it holds `maxBatch` items. If handling a whole batch fails, each item
 * is retried alone, so one bad item fails only its own caller.
 *
 * @example
 * const inserts = new Batcher((rows) => insertAllInOneStatement(rows), 500);
 * const id = await inserts.add(row);
 */
export class Batcher<T, R> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;
  private inflight = new Set<Promise<void>>();

  constructor(
    /** Handles a batch; resolves one result per item, in order. */
    private readonly handle: (items: T[]) => Promise<R[]>,
    private readonly maxBatch: number,
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

  /** Resolves once every batch already started has been handled. */
  async drain(): Promise<void> {
    if (this.queue.length > 0) this.flush();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const run = this.run(batch).finally(() => this.inflight.delete(run));
    this.inflight.add(run);
  }

  private async run(batch: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }>) {
    try {
      const results = await this.handle(batch.map((b) => b.item));
      if (results.length !== batch.length)
        throw new Error(`batch handler returned ${results.length} results for ${batch.length} items`);
      batch.forEach((b, i) => b.resolve(results[i] as R));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err);
        return;
      }
      await Promise.all(
        batch.map(async (b) => {
          try {
            const results = await this.handle([b.item]);
            if (results.length !== 1)
              throw new Error(`batch handler returned ${results.length} results for 1 items`);
            b.resolve(results[0] as R);
          } catch (itemErr) {
            b.reject(itemErr);
          }
        }),
      );
    }
  }
}
