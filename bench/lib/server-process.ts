import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH_SECRET = 'parley-bench-secret-0123456789-abcdefghijklmnop';

/** A server under test, running as its own process so its CPU and memory are its own. */
export interface ServerHandle {
  kind: string;
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** Resident set size of the server process, from /proc. */
  rssBytes(): number;
  /** CPU time the server process has used so far (user + system), in seconds, from /proc. */
  cpuSeconds(): number;
  output(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** BENCH_NODE_OPTIONS adds flags to the servers' node, e.g. "--cpu-prof --cpu-prof-dir=bench/results". */
const nodeFlags = () => (process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean);

let built = false;
/** Compiles Parley once per bench run, so it runs from `dist/` as `npm start` does. */
export function buildParley(): void {
  if (built) return;
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
  built = true;
}

const readRss = (pid: number): number => {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
};

/** utime + stime of a process in seconds, from /proc/<pid>/stat (in clock ticks of 1/100 s on Linux). */
export const readCpu = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
};

async function waitReady(url: string, child: ChildProcess, output: () => string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not become ready in ${timeoutMs} ms:\n${output()}`);
}

async function launch(
  kind: string,
  args: string[],
  env: Record<string, string>,
  dataDir: string,
  cwd: string = repoRoot,
) {
  const port = Number(env.PORT) || (await freePort());
  // Parley's own settings come only from `env`: the bench's DATABASE_URL and REDIS_URL are for the
  // cluster scenario, not for every server it starts.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(DATABASE_|REDIS_|PRESENCE_|JWT_|DATA_DIR$)/.test(k)),
  );
  const child = spawn(process.execPath, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inherited, PORT: String(port), HOST: '127.0.0.1', ...env },
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const handle: ServerHandle = {
    kind,
    url,
    port,
    pid: child.pid ?? 0,
    dataDir,
    rssBytes: () => readRss(child.pid ?? 0),
    cpuSeconds: () => readCpu(child.pid ?? 0),
    output: () => log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
  process.once('exit', () => child.kill('SIGKILL'));
  await waitReady(url, child, handle.output);
  return handle;
}

/**
 * Starts Parley from `dist/` with a fresh DATA_DIR (or the given one), logging at `warn`, without rate
 * limits or a per-IP connection cap.
 * `env` adds or overrides settings (DATABASE_URL, REDIS_URL, PRESENCE_SCOPE, …); `nodeArgs` adds node
 * flags before the script (e.g. `--expose-gc`). `root` runs another build of Parley (a baseline built
 * by `bench/lib/baseline.ts`) from its own `dist/`, instead of this checkout's.
 */
export async function startParley(
  options: {
    env?: Record<string, string>;
    dataDir?: string;
    nodeArgs?: string[];
    root?: string;
    kind?: string;
  } = {},
) {
  if (!options.root) buildParley();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const handle = await launch(
    options.kind ?? 'parley',
    [...nodeFlags(), ...(options.nodeArgs ?? []), 'dist/main.js'],
    // Rate limits off: the load generators are one user sending as fast as it can, which is what they stop.
    // No per-IP session cap: the load workers open thousands of sockets from a handful of loopback addresses.
    {
      DATA_DIR: dataDir,
      JWT_SECRET: BENCH_SECRET,
      LOG_LEVEL: 'warn',
      RATE_LIMITS: 'off',
      MAX_CONNECTIONS_PER_IP: 'off',
      ...options.env,
    },
    dataDir,
    options.root,
  );
  const stop = handle.stop;
  handle.stop = async () => {
    await stop();
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return handle;
}

/** Starts the bare Socket.IO relay (bench/relay-server.ts): the transport's own ceiling. */
export async function startRelay(env: Record<string, string> = {}) {
  return launch('relay', [...nodeFlags(), '--import', 'tsx', 'bench/relay-server.ts'], env, '');
}
