import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WireMessage } from '../../src/protocol/outputs.js';
import { http } from '../support/http.js';
import { freePort } from '../support/redis-server.js';
import { TEST_REDIS_URL, createTestRedisPrefix, createTestSchema } from '../support/services.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';

/**
 * A real Parley cluster for the scale-out integration tests: several `src/main.ts` processes sharing one
 * fresh PostgreSQL schema and one fresh Redis prefix, each on its own port.
 *
 * @example const cluster = await startCluster(3); … await cluster.stop();
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const CLUSTER_SECRET = 'parley-cluster-test-secret-0123456789-abcdefghijkl';
/** Kept short so a dead process's users go offline within a few seconds. */
export const PRESENCE_TTL_MS = 2000;
export const TYPING_TIMEOUT_MS = 1000;
const READY_TIMEOUT_MS = 15_000;
const OUTPUT_LIMIT = 20_000;

export { freePort };

/**
 * `node --import tsx src/main.ts` on `port` with exactly the Parley settings in `env`: the test
 * process's own DATABASE_URL/REDIS_URL are not passed on, nor the test runner's marker (which would make
 * the child believe it runs under `node --test`).
 */
export function spawnNode(name: string, port: number, env: Record<string, string>): ClusterNode {
  const { NODE_TEST_CONTEXT: _t, DATABASE_URL: _d, REDIS_URL: _r, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inherited, PORT: String(port), HOST: '127.0.0.1', ...env },
  });
  return new ClusterNode(name, port, child);
}

/**
 * `spawnNode` on a free port (or on `port`, for a restart on the same address), ready. A free port is
 * found by listening on 0 and closing, so another process may take it before the child listens: a child
 * that exits with EADDRINUSE is started again (on a new port, or on `port` once it is free) until
 * `timeoutMs` has passed, instead of failing the test by chance.
 */
export async function spawnReady(
  name: string,
  env: Record<string, string>,
  options: { port?: number; timeoutMs?: number; onSpawn?: (node: ClusterNode) => void } = {},
): Promise<ClusterNode> {
  const deadline = Date.now() + (options.timeoutMs ?? READY_TIMEOUT_MS);
  for (;;) {
    const node = spawnNode(name, options.port ?? (await freePort()), env);
    options.onSpawn?.(node);
    try {
      await node.waitReady(Math.max(1000, deadline - Date.now()));
      return node;
    } catch (err) {
      if (!node.portWasTaken() || Date.now() >= deadline) throw err;
      await sleep(100);
    }
  }
}

export class ClusterNode {
  readonly url: string;
  private output = '';
  /** Resolves with the exit code or signal once the process has ended. */
  readonly exited: Promise<string>;
  private ended = false;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.ended = true;
        resolve(signal ?? `code ${code}`);
      });
    });
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** Whether the process ended because its port was already in use. */
  portWasTaken(): boolean {
    return this.ended && this.output.includes('EADDRINUSE');
  }

  /** What the process printed so far, labelled, for failure messages. */
  describe(): string {
    const state = this.ended ? 'exited' : 'running';
    return `--- ${this.name} (${this.url}, ${state}) output ---\n${this.output.trim() || '(nothing)'}`;
  }

  /** Polls GET /readyz until it answers 200; fails with the process output if it exits or times out. */
  async waitReady(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`${this.name} exited before it was ready\n${this.describe()}`);
      try {
        const res = await http(this.url, 'GET', '/readyz');
        if (res.status === 200) return;
        last = `${res.status} ${JSON.stringify(res.body)}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms (last: ${last})\n${this.describe()}`);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if the process has not ended within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.kill('SIGKILL');
      await this.exited;
    }
  }
}

export interface Cluster {
  nodes: ClusterNode[];
  /** The DATABASE_URL every process uses (a fresh schema), for checking what was stored. */
  databaseUrl: string;
  /** Every node's output, for failure messages. */
  describe(): string;
  /** Ends every process, then drops the schema, clears the prefix and removes the data dirs. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /**
   * A Redis of the test's own (e.g. a private `redis-server` it restarts) instead of the shared one. Its
   * keys are left in place: the test discards that server.
   */
  redisUrl?: string;
}

/** Starts `size` Parley processes at once (they migrate the shared schema concurrently) and waits for all. */
export async function startCluster(
  size = 3,
  env: Record<string, string> = {},
  options: ClusterOptions = {},
): Promise<Cluster> {
  const schema = await createTestSchema();
  const redis = options.redisUrl ? undefined : createTestRedisPrefix();
  const redisPrefix = redis?.prefix ?? 'parley:';
  const dirs: string[] = [];
  const nodes: ClusterNode[] = [];
  // Should the test process end without running `after` (a crash, a cancelled run), take the children along.
  const all: ClusterNode[][] = [];
  const killAll = () => all.flat().forEach((n) => n.kill('SIGKILL'));
  process.once('exit', killAll);
  const cluster: Cluster = {
    nodes,
    databaseUrl: schema.url,
    describe: () => nodes.map((n) => n.describe()).join('\n'),
    stop: async () => {
      await Promise.all(all.flat().map((n) => n.stop()));
      process.off('exit', killAll);
      await schema.drop();
      await redis?.clear();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    const starting = [];
    for (let i = 1; i <= size; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
      dirs.push(dataDir);
      const settings = {
        DATA_DIR: dataDir,
        DATABASE_URL: schema.url,
        REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
        REDIS_PREFIX: redisPrefix,
        JWT_SECRET: CLUSTER_SECRET,
        LOG_LEVEL: 'warn',
        PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
        TYPING_TIMEOUT_MS: String(TYPING_TIMEOUT_MS),
        ...env,
      };
      // Every attempt is tracked, so `stop` ends one that is still starting when another fails.
      const tracked: ClusterNode[] = [];
      starting.push(spawnReady(`process ${i}`, settings, { onSpawn: (n) => tracked.push(n) }));
      all.push(tracked);
    }
    nodes.push(...(await Promise.all(starting)));
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    throw err;
  }
  return cluster;
}

/** Tabs opened by a test, closed together by `closeAll`. */
export class Tabs {
  private open: TestClient[] = [];

  /** Connects a tab of the user with `token` to `node` and waits until presence has been recorded. */
  async connect(node: ClusterNode, token: string): Promise<TestClient> {
    const client = await connectClient(node.url, token);
    this.open.push(client);
    await client.next('online_users', () => true, 5000);
    return client;
  }

  closeAll(): void {
    for (const client of this.open) client.close();
    this.open = [];
  }
}

/** Runs `fn`; on failure, appends every process's output to the error so the report shows it. */
export async function withOutput<T>(cluster: Cluster | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (cluster && err instanceof Error) err.message += `\n${cluster.describe()}`;
    throw err;
  }
}

export type Sent = { success: true; message: WireMessage };
export type Typing = { userId: string; userName: string; isTyping: boolean; conversationId: string };

/** The pair's direct conversation (opened over REST), which their messages and indicators name. */
export async function directConversation(url: string, token: string, userId: string): Promise<string> {
  const res = await http(url, 'POST', '/api/conversations', { token, body: { type: 'direct', userId } });
  if (res.status !== 200 && res.status !== 201) throw new Error(`open_direct: ${res.status}`);
  return res.body.conversation._id as string;
}
export type Offline = { userId: string; lastSeen: string };

/** Cross-process events travel through Redis: wait generously, assert nothing about speed. */
export const WAIT = 5000;

export const isIso = (value: unknown) =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value;
export const byId = (id: string) => (m: { _id: string }) => m._id === id;
export const sentOf = (id: string) => (p: Sent) => p.message?._id === id;
export const aboutUser = (id: string) => (p: { userId: string }) => p.userId === id;
