import pg from 'pg';
import type { WireMessage } from '../../src/protocol/outputs.js';
import type { TestClient } from './socket.js';

/**
 * A client that sends continuously the way a careful app would: every message has its own
 * `clientMessageId`, is kept until its ack arrives, and is sent again with the same id after a failure,
 * a timeout or a lost connection (reconnecting through `connect`, which may pick another process).
 * `checkStored` then compares what the senders were told with what PostgreSQL holds.
 *
 * @example const s = new RetryingSender({ … }); await s.open(); s.start(); … s.stopGenerating(); await s.drain();
 */

type SendAck = { success: true; message: WireMessage } | { success: false; message: string };

export interface SenderOptions {
  name: string;
  token: string;
  senderId: string;
  receiverId: string;
  /** Opens a socket for this sender (e.g. on the first process that is still alive). */
  connect: (token: string) => Promise<TestClient>;
  ackTimeoutMs?: number;
  /** A new message every `intervalMs`… */
  intervalMs?: number;
  /** …while fewer than `window` sends are awaiting their ack. */
  window?: number;
}

export class RetryingSender {
  client!: TestClient;
  /** Every client this sender has used, oldest first. */
  readonly clients: TestClient[] = [];
  /** clientMessageId → the stored message its first successful ack carried. */
  readonly acked = new Map<string, WireMessage>();
  /** clientMessageId → content, until acked. */
  readonly pending = new Map<string, string>();
  /** clientMessageIds whose later ack named another message id than the first ack did. */
  readonly conflicts: string[] = [];
  readonly failures = new Map<string, number>();
  attempts = 0;
  /** Sends of a clientMessageId that had been sent before. */
  retries = 0;
  reconnects = 0;
  /** Called, synchronously, with the clientMessageId of each first successful ack. */
  onAck: ((cmid: string) => void) | undefined;
  /** For each lost connection: when it was noticed, and the clientMessageIds then awaiting an ack. */
  readonly disconnects: Array<{ at: number; unacked: string[]; reconnectedAt?: number }> = [];
  private readonly tried = new Set<string>();
  private readonly inFlight = new Set<string>();
  private counter = 0;
  private timer: NodeJS.Timeout | undefined;
  private reconnecting: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: SenderOptions) {}

  get name(): string {
    return this.options.name;
  }

  get senderId(): string {
    return this.options.senderId;
  }

  /** Every clientMessageId this sender created. */
  get created(): number {
    return this.counter;
  }

  async open(): Promise<void> {
    this.use(await this.options.connect(this.options.token));
  }

  private use(client: TestClient): void {
    this.client = client;
    this.clients.push(client);
    client.socket.on('disconnect', () => {
      if (this.closed) return;
      this.disconnects.push({ at: Date.now(), unacked: [...this.pending.keys()] });
      void this.reconnect();
    });
  }

  /** Opens a new socket (retrying until `connect` succeeds), then re-sends everything not yet acked. */
  private reconnect(): Promise<void> {
    this.reconnecting ??= (async () => {
      for (let attempt = 0; !this.closed; attempt++) {
        try {
          this.use(await this.options.connect(this.options.token));
          this.reconnects += 1;
          const last = this.disconnects.at(-1);
          if (last) last.reconnectedAt = Date.now();
          break;
        } catch {
          await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1000)));
        }
      }
      this.reconnecting = undefined;
      this.resendPending();
    })();
    return this.reconnecting;
  }

  /** Starts generating messages. */
  start(): void {
    const { intervalMs = 25, window = 3 } = this.options;
    this.timer ??= setInterval(() => {
      if (this.inFlight.size < window) this.create();
    }, intervalMs);
  }

  /** Creates and sends `count` messages at once, beyond the window; returns their clientMessageIds. */
  burst(count: number): string[] {
    return Array.from({ length: count }, () => this.create());
  }

  private create(): string {
    this.counter += 1;
    const cmid = `${this.options.name}-${this.counter}`;
    this.pending.set(cmid, `${this.options.name} message ${this.counter}`);
    this.send(cmid);
    return cmid;
  }

  stopGenerating(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sends every not-acked message that is not awaiting an ack right now. */
  resendPending(): void {
    for (const cmid of this.pending.keys()) if (!this.inFlight.has(cmid)) this.send(cmid);
  }

  /** Re-sends until every message is acked, or `timeoutMs` passes; resolves whether all were acked. */
  async drain(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline) {
      if (this.client.socket.connected && !this.reconnecting) this.resendPending();
      await new Promise((r) => setTimeout(r, 200));
    }
    return this.pending.size === 0;
  }

  private send(cmid: string): void {
    const content = this.pending.get(cmid);
    if (content === undefined || this.inFlight.has(cmid)) return;
    // Not connected (the socket was lost, a new one is being opened): kept for `resendPending`.
    if (!this.client.socket.connected || this.reconnecting) return;
    const { ackTimeoutMs = 3000, receiverId } = this.options;
    if (this.tried.has(cmid)) this.retries += 1;
    this.tried.add(cmid);
    this.attempts += 1;
    this.inFlight.add(cmid);
    const payload = { receiverId, content, clientMessageId: cmid };
    (this.client.socket.timeout(ackTimeoutMs).emitWithAck('send_message', payload) as Promise<SendAck>)
      .then(
        (ack) => {
          if (!ack.success) return this.failed(`refused: ${ack.message}`);
          if (ack.message.clientMessageId !== cmid) return this.failed('ack for another clientMessageId');
          const earlier = this.acked.get(cmid);
          if (earlier !== undefined && earlier._id !== ack.message._id) this.conflicts.push(cmid);
          if (earlier === undefined) this.acked.set(cmid, ack.message);
          this.pending.delete(cmid);
          if (earlier === undefined) this.onAck?.(cmid);
        },
        (err: Error) => this.failed(err.message),
      )
      .finally(() => this.inFlight.delete(cmid));
  }

  private failed(reason: string): void {
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  /** Every `receive_message` on any of this sender's sockets. */
  received(): WireMessage[] {
    return this.clients.flatMap((c) => c.all<WireMessage>('receive_message'));
  }

  close(): void {
    this.closed = true;
    this.stopGenerating();
    for (const client of this.clients) client.close();
  }
}

export interface StoredCheck {
  /** Rows in the messages table sent by these senders. */
  stored: number;
  /** Rows beyond the first for one (sender, clientMessageId), among every row of the table. */
  duplicates: number;
  /** Acked messages that are not stored, or stored under another id than the ack said. */
  lost: string[];
  /** Stored rows with a clientMessageId no sender ever acked (stored, but never confirmed). */
  unconfirmed: string[];
}

/** Reads the messages table of the cluster's schema and compares it with what each sender was told. */
export async function checkStored(databaseUrl: string, senders: RetryingSender[]): Promise<StoredCheck> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  let rows: Array<{ id: string; sender_id: string; client_message_id: string | null; content: string }>;
  try {
    ({ rows } = await db.query(
      'select id::text as id, sender_id::text as sender_id, client_message_id, content from messages',
    ));
  } finally {
    await db.end();
  }
  const result: StoredCheck = { stored: 0, duplicates: 0, lost: [], unconfirmed: [] };
  const byKey = new Map<string, string[]>();
  for (const row of rows) {
    if (row.client_message_id === null) continue;
    const key = `${row.sender_id}|${row.client_message_id}`;
    byKey.set(key, [...(byKey.get(key) ?? []), row.id]);
  }
  for (const sender of senders) {
    const mine = rows.filter((r) => r.sender_id === sender.senderId);
    result.stored += mine.length;
    for (const row of mine) {
      if (row.client_message_id === null) continue;
      if (!sender.acked.has(row.client_message_id)) result.unconfirmed.push(row.client_message_id);
    }
    for (const [cmid, { _id: id }] of sender.acked) {
      const found = byKey.get(`${sender.senderId}|${cmid}`) ?? [];
      if (found.length !== 1 || found[0] !== id) result.lost.push(`${cmid} (acked ${id}, stored ${found})`);
    }
  }
  for (const ids of byKey.values()) if (ids.length > 1) result.duplicates += ids.length - 1;
  return result;
}

/** Polls until every one of `cmids` is stored (or `timeoutMs` passes); resolves how many are. */
export async function waitStored(databaseUrl: string, cmids: string[], timeoutMs: number): Promise<number> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await db.query<{ n: number }>(
        'select count(distinct client_message_id)::int as n from messages where client_message_id = any($1)',
        [cmids],
      );
      const n = rows[0]?.n ?? 0;
      if (n === cmids.length || Date.now() > deadline) return n;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await db.end();
  }
}
