/**
 * Work in flight by key. `once` runs `work` unless the same key is already in flight; then it waits for
 * that one instead (failing as it failed) and resolves `undefined`, so the caller knows it was second.
 *
 * @example const first = await pending.once(`${sender}|${clientId}`, () => insert(row));
 */
export class PendingKeys<R> {
  private readonly pending = new Map<string, Promise<R>>();

  async once(key: string, work: () => Promise<R>): Promise<{ result: R } | undefined> {
    const earlier = this.pending.get(key);
    if (earlier) {
      await earlier;
      return undefined;
    }
    const running = work();
    this.pending.set(key, running);
    const forget = () => this.pending.delete(key);
    running.then(forget, forget);
    return { result: await running };
  }
}
