import assert from 'node:assert/strict';
import { io, type Socket } from 'socket.io-client';

type Recorded = { event: string; payload: unknown; taken: boolean };

/**
 * A real socket.io-client connection that records every event from the moment it is created, so a test
 * can wait for an event that may already have arrived. `next` takes each recorded event at most once.
 */
export class TestClient {
  readonly socket: Socket;
  private readonly events: Recorded[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(url: string, options: Parameters<typeof io>[1] = {}) {
    this.socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...options });
    this.socket.onAny((event: string, payload: unknown) => {
      this.events.push({ event, payload, taken: false });
      for (const wake of this.waiters) wake();
    });
    this.socket.on('disconnect', (reason: string) => {
      this.disconnectReason = reason;
      for (const wake of this.waiters) wake();
    });
  }

  /** Why the socket was last disconnected, once it has been. */
  private disconnectReason: string | undefined;

  /**
   * The reason of the socket's disconnect (`io server disconnect`, `transport close`, …), whether it
   * happened before this call or happens within `timeoutMs`.
   */
  closed(timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const look = (): boolean => {
        if (this.disconnectReason === undefined) return false;
        this.waiters.delete(look);
        clearTimeout(timer);
        resolve(this.disconnectReason);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(look);
        reject(new Error(`not disconnected within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!look()) this.waiters.add(look);
    });
  }

  /** Resolves on `connect`, rejects with the `connect_error`. */
  connected(timeoutMs = 5000): Promise<this> {
    if (this.socket.connected) return Promise.resolve(this);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connect timed out')), timeoutMs);
      this.socket.once('connect', () => {
        clearTimeout(timer);
        resolve(this);
      });
      this.socket.once('connect_error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** The next not-yet-taken `event` whose payload satisfies `match`, waiting up to `timeoutMs`. */
  next<T = any>(event: string, match: (payload: T) => boolean = () => true, timeoutMs = 3000): Promise<T> {
    return new Promise((resolve, reject) => {
      const look = (): boolean => {
        const found = this.events.find((e) => !e.taken && e.event === event && match(e.payload as T));
        if (!found) return false;
        found.taken = true;
        this.waiters.delete(look);
        clearTimeout(timer);
        resolve(found.payload as T);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(look);
        const seen = this.events.map((e) => e.event).join(', ') || 'nothing';
        reject(new Error(`timed out waiting for '${event}' (received: ${seen})`));
      }, timeoutMs);
      if (!look()) this.waiters.add(look);
    });
  }

  /** Every recorded payload of `event` so far (taken or not). */
  all<T = any>(event: string): T[] {
    return this.events.filter((e) => e.event === event).map((e) => e.payload as T);
  }

  /** The recorded payloads of `event` that `next` has not taken. */
  untaken<T = any>(event: string): T[] {
    return this.events.filter((e) => e.event === event && !e.taken).map((e) => e.payload as T);
  }

  /** Emits and resolves the acknowledgement. */
  ack<T = any>(event: string, ...args: unknown[]): Promise<T> {
    return this.socket.timeout(5000).emitWithAck(event, ...args) as Promise<T>;
  }

  emit(event: string, ...args: unknown[]): void {
    this.socket.emit(event, ...args);
  }

  close(): void {
    this.socket.close();
  }
}

/** Connects with `auth.token` and waits for the server's `connection` event. */
export async function connectClient(
  url: string,
  token: string,
  options: Parameters<typeof io>[1] = {},
): Promise<TestClient> {
  const client = new TestClient(url, { auth: { token }, ...options });
  await client.connected();
  await client.next('connection');
  return client;
}

/** The message a handshake with `token` is refused with (`connect_error`), or `connected`. */
export async function handshakeOutcome(url: string, token: string): Promise<string> {
  const client = new TestClient(url, { auth: { token } });
  try {
    await client.connected();
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  } finally {
    client.close();
  }
}

/** A rate limit's refusal: `Too many <what>: try again in N s`. */
export const TOO_MANY = (what: string): RegExp => new RegExp(`^Too many ${what}: try again in \\d+ s$`);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Emits `event` with an ack and expects it refused: the ack is `{success: false, message}` and the
 * `error` event carries the same message.
 */
export async function expectRejected(
  client: TestClient,
  event: string,
  payload: unknown,
  message: string | RegExp,
): Promise<string> {
  const ack = (await client.ack(event, payload)) as { success: unknown; message: unknown };
  assert.equal(ack.success, false);
  assert.equal(typeof ack.message, 'string');
  const text = ack.message as string;
  if (typeof message === 'string') assert.equal(text, message);
  else assert.match(text, message);
  assert.deepEqual(Object.keys(ack).sort(), ['message', 'success']);
  assert.deepEqual(await client.next('error', (e: { message: string }) => e.message === text), {
    message: text,
  });
  return text;
}
