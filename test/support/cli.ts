import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { http } from './http.js';

/**
 * Runs the real `parley` command (`node --import tsx src/cli.ts …`, no build needed) from the repository
 * root, with none of this process's Parley settings: only the environment a test gives it.
 *
 * @example const { code, stdout } = await runParley(['migrate'], { env: { DATA_DIR: dir } });
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Settings Parley reads (and the test runner's marker, which would make a child act as a test). */
const SETTING =
  /^(PORT|HOST|DATA_DIR|DATABASE_|REDIS_|JWT_|LOG_LEVEL|MAX_|TYPING_|CORS_|BODY_|SOCKET_|PRESENCE_|RATE_LIMIT|SESSION_|TRUST_PROXY|NODE_TEST_CONTEXT$)/;

export interface ParleyProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code, or the signal's name when a signal ended it. */
  exited: Promise<number | string>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((c) => c.kill('SIGKILL')));

export function spawnParley(args: string[], env: Record<string, string> = {}, input?: string): ParleyProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SETTING.test(name)));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  if (input !== undefined) child.stdin?.end(input);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(signal ?? code ?? -1);
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

export interface ParleyResult {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed, and failing, after `timeoutMs`). */
export async function runParley(
  args: string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<ParleyResult> {
  const run = spawnParley(args, options.env, options.input);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
  const outcome = await Promise.race([run.exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    run.child.kill('SIGKILL');
    throw new Error(
      `parley ${args.join(' ')} still running after ${timeoutMs} ms\n${run.stdout()}${run.stderr()}`,
    );
  }
  return { code: outcome, stdout: run.stdout(), stderr: run.stderr() };
}

/** Resolves once GET /healthz answers 200; fails with the output if the process exits first or is slow. */
export async function waitHealthy(run: ParleyProcess, url: string, timeoutMs = 20_000): Promise<void> {
  let gone = false;
  void run.exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    try {
      if ((await http(url, 'GET', '/healthz')).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`parley start did not become healthy (exited: ${gone})\n${run.stdout()}\n${run.stderr()}`);
}

/**
 * The address a `parley start` (or `src/main.ts`) child listens on, from its "Parley is listening" log line
 * (it needs `LOG_LEVEL=info` or lower; start it with `PORT=0` so no port is probed and reused).
 */
export async function listeningUrl(
  run: { stdout(): string; stderr(): string; exited: Promise<unknown> },
  timeoutMs = 20_000,
): Promise<string> {
  let gone = false;
  void run.exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    // Complete lines only: the last one may still be arriving.
    const line = run
      .stdout()
      .split('\n')
      .slice(0, -1)
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; address?: string })
      .find((l) => l.msg === 'Parley is listening');
    if (line?.address) return line.address;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no "Parley is listening" line (exited: ${gone})\n${run.stdout()}\n${run.stderr()}`);
}
