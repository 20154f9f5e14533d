import { connect, createServer, type Server, type Socket } from 'node:net';

/** What `holdAt` does on the connection whose request carries the marker. */
export type Hold = 'request' | 'reply';

interface Link {
  client: Socket;
  upstream: Socket;
  /** Bytes not forwarded yet, per direction, while the link is held. */
  held: { up: Buffer[]; down: Buffer[] };
  holding: { up: boolean; down: boolean };
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL in the fault tests), to fail the network
 * between Parley and it for real:
 * - `cut()` closes every connection and refuses new ones (accepted, then closed at once) until `restore()`;
 * - `holdReplies()` keeps every reply of the open connections, as a reply-side hold on all of them;
 * - `holdAt(marker, 'request')` stops the first connection whose client→server bytes contain `marker`
 *   before those bytes reach the server; `'reply'` forwards them but keeps every server→client byte of
 *   that connection from then on. Either way the connection stays stuck until `cut()`, which drops what
 *   was held — a request lost on the way, or a reply lost after the server acted on it.
 *
 * @example const proxy = await TcpProxy.start(5432); … proxy.cut(); … proxy.restore(); await proxy.close();
 */
export class TcpProxy {
  private readonly links = new Set<Link>();
  private isCut = false;
  private trap: { marker: Buffer; hold: Hold; fired: () => void } | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const ready: { proxy?: TcpProxy } = {};
    const server = createServer((client) => ready.proxy?.accept(client, targetPort, targetHost));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (!address || typeof address !== 'object') throw new Error('proxy has no port');
    ready.proxy = new TcpProxy(server, address.port);
    return ready.proxy;
  }

  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const through = new URL(url);
    through.hostname = '127.0.0.1';
    through.port = String(this.port);
    return through.toString();
  }

  /** Connections open right now. */
  get connections(): number {
    return this.links.size;
  }

  /**
   * Resolves once a connection carrying `marker` (client→server) has been held as `hold` says; rejects
   * if none has within `timeoutMs`.
   */
  holdAt(marker: string, hold: Hold, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.trap = undefined;
        reject(new Error(`no request carrying ${JSON.stringify(marker)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const fired = () => {
        clearTimeout(timer);
        resolve();
      };
      this.trap = { marker: Buffer.from(marker), hold, fired };
    });
  }

  /**
   * Keeps every server→client byte of the connections open now from their clients (requests still go
   * through): replies are lost once `cut()` drops them, or the server behind dies.
   */
  holdReplies(): void {
    for (const link of this.links) link.holding.down = true;
  }

  /** Closes every connection (dropping anything held) and refuses new ones until `restore`. */
  cut(): void {
    this.isCut = true;
    this.trap = undefined;
    for (const link of this.links) this.drop(link);
  }

  restore(): void {
    this.isCut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, port: number, host: string): void {
    if (this.isCut) return void client.destroy();
    const upstream = connect(port, host);
    const link: Link = { client, upstream, held: { up: [], down: [] }, holding: { up: false, down: false } };
    this.links.add(link);
    client.on('data', (chunk: Buffer) => this.up(link, chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (link.holding.down) link.held.down.push(chunk);
      else client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => this.drop(link));
      socket.on('close', () => this.drop(link));
    }
  }

  private up(link: Link, chunk: Buffer): void {
    const trap = this.trap;
    if (trap && !link.holding.up && !link.holding.down && chunk.includes(trap.marker)) {
      this.trap = undefined;
      link.holding[trap.hold === 'request' ? 'up' : 'down'] = true;
      if (trap.hold === 'reply') link.upstream.write(chunk);
      else link.held.up.push(chunk);
      trap.fired();
      return;
    }
    if (link.holding.up) link.held.up.push(chunk);
    else link.upstream.write(chunk);
  }

  private drop(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream.destroy();
  }
}
