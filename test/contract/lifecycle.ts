import assert from 'node:assert/strict';

/**
 * Checks for the `close` part of the contracts: close must settle promptly, may be called twice (shutdown
 * paths overlap), and must not leave a timer or socket holding the process open.
 */

/** How many of each kind of resource keeps the event loop alive right now (`Timeout`, `TCPSocketWrap`…). */
export function liveHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** Fails unless `promise` settles within `ms`; resolves its value. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fails if more resources of some kind keep the process alive than at `baseline`. Socket teardown can
 * take a turn of the event loop or two, so it polls briefly before deciding.
 */
export async function assertNoHandleLeft(baseline: Map<string, number>, ms = 1000): Promise<void> {
  const grown = () =>
    [...liveHandles()]
      .filter(([kind, n]) => n > (baseline.get(kind) ?? 0))
      .map(([kind, n]) => `${kind}: ${baseline.get(kind) ?? 0} → ${n}`);
  const deadline = Date.now() + ms;
  while (grown().length > 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  assert.deepEqual(grown(), [], 'close left resources keeping the process alive');
}
