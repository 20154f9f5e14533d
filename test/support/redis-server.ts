import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { unmet } from './required.js';

/**
 * A private `redis-server` for fault tests: on its own free port, without persistence, so a suite can
 * kill and restart it without disturbing the Redis other suites share. Restarted, it comes back empty.
 *
 * @example const redis = await startRedisServer(); … redis.kill(); … await redis.restart(); … await redis.stop();
 */

const BINARY = process.env.TEST_REDIS_SERVER || 'redis-server';

/** Why a suite needing its own `redis-server` must skip, or `false`. */
export function redisServerSkip(): string | false {
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error?.message ?? `exit ${probe.status}`;
    return unmet(`${BINARY} cannot be run (${why}); install Redis or set TEST_REDIS_SERVER`);
  }
  return false;
}

/** A port nothing listens on right now: bind port 0, read it, release it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Resolves once a TCP connection to the port succeeds and Redis answers PING with PONG. */
async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private output = '';
  private exited: Promise<void> = Promise.resolve();

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  static async start(port?: number): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()));
    await server.launch();
    return server;
  }

  /** Starts the server on its port and waits until it answers PING. */
  private async launch(timeoutMs = 5000): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-5000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    process.once('exit', this.killOnExit);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) break;
      if (await answersPing(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    this.kill();
    throw new Error(`redis-server on port ${this.port} did not start:\n${this.output.trim()}`);
  }

  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  /** SIGKILL, as a crash would; resolves once the process has ended. */
  async kill(): Promise<void> {
    if (this.running) this.child?.kill('SIGKILL');
    await this.exited;
    process.off('exit', this.killOnExit);
  }

  /** Starts it again on the same port (empty: nothing was persisted). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    if (this.running) this.child?.kill('SIGTERM');
    await this.exited;
    process.off('exit', this.killOnExit);
  }

  describe(): string {
    return `--- redis-server :${this.port} (${this.running ? 'running' : 'stopped'}) ---\n${this.output.trim()}`;
  }
}
