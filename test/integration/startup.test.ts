import assert from 'node:assert/strict';
import { listeningUrl } from '../support/cli.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { http } from '../support/http.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Settings Parley reads; the child gets none of them from this process, only what a test gives it. */
const SETTINGS = [
  'PORT',
  'HOST',
  'DATA_DIR',
  'JWT_SECRET',
  'JWT_EXPIRES_IN',
  'LOG_LEVEL',
  'MAX_MESSAGE_LENGTH',
  'TYPING_TIMEOUT_MS',
  'CORS_ORIGIN',
  'DATABASE_URL',
  'REDIS_URL',
  'NODE_TEST_CONTEXT',
];

interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children = new Set<Child>();

/** Runs the real entry point, `node --import tsx src/main.ts`, from the repository root. */
function spawnParley(env: Record<string, string>): Child {
  const base = { ...process.env };
  for (const name of SETTINGS) delete base[name];
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const child = { proc, stdout: () => out, stderr: () => err, exited };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

/** `work`, or a rejection after `ms` (the timer never outlives the work). */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once /healthz answers 200; fails early if the process exits first. */
async function healthy(child: Child, url: string): Promise<void> {
  let gone = false;
  void child.exited.then(() => (gone = true));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !gone) {
    try {
      const res = await http(url, 'GET', '/healthz');
      if (res.status === 200) return assert.deepEqual(res.body, { status: 'ok' });
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`Parley did not become healthy (exited: ${gone})\n${child.stdout()}\n${child.stderr()}`);
}

const logLines = (child: Child) =>
  child
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });

const jwtWarnings = (child: Child) =>
  logLines(child).filter((l) => l.level === 40 && /JWT_SECRET/.test(l.msg));

async function stop(child: Child): Promise<number | null> {
  child.proc.kill('SIGTERM');
  return within(child.exited, 15_000, 'shutdown');
}

describe('process startup (real entry point)', () => {
  let dataDir: string;
  let token: string;
  let userId: string;
  let secret: string;

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-startup-'));
  });

  after(async () => {
    for (const child of children) child.proc.kill('SIGKILL');
    await Promise.all([...children].map((c) => c.exited));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const run = async () => {
    // Port 0: the process picks a free port itself and logs the address, so no port is found here,
    // released, and raced for by someone else before the child binds it.
    const env = { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const child = spawnParley(env);
    const url = await listeningUrl(child);
    await healthy(child, url);
    return { child, url };
  };

  it('starts without JWT_SECRET: warns, keeps a 0600 secret and the database in DATA_DIR', async () => {
    const { child, url } = await run();
    assert.equal(jwtWarnings(child).length, 1, `expected one JWT_SECRET warning in:\n${child.stdout()}`);

    const secretFile = join(dataDir, 'jwt-secret');
    assert.equal(statSync(secretFile).mode & 0o777, 0o600);
    secret = readFileSync(secretFile, 'utf8');
    assert.ok(secret.trim().length >= 32, 'the generated secret should be long');
    assert.equal(existsSync(join(dataDir, 'parley.db')), true);

    const res = await http(url, 'POST', '/api/auth/register', {
      body: {
        name: 'Restart',
        username: 'restart_me',
        email: 'restart@example.test',
        password: 'long enough',
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    token = res.body.token;
    userId = res.body.user._id;
    assert.equal(await stop(child), 0);
  });

  it('reuses the kept secret after a restart: an earlier token still works', async () => {
    assert.ok(token, 'needs the token of the first run');
    const { child, url } = await run();
    assert.deepEqual(jwtWarnings(child), [], 'no new secret may be generated');
    assert.equal(readFileSync(join(dataDir, 'jwt-secret'), 'utf8'), secret);
    const me = await http(url, 'GET', '/api/auth/me', { token });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.user._id, userId);
    assert.equal(me.body.user.username, 'restart_me');
    assert.equal(await stop(child), 0);
  });

  it('exits with code 0 on SIGTERM and stops answering', async () => {
    const { child, url } = await run();
    assert.equal(await stop(child), 0);
    assert.ok(
      logLines(child).some((l) => l.msg === 'shutting down'),
      'logs the shutdown',
    );
    await assert.rejects(http(url, 'GET', '/healthz'));
  });
});

describe('process startup with invalid configuration', { concurrency: true }, () => {
  after(async () => {
    for (const child of children) child.proc.kill('SIGKILL');
    await Promise.all([...children].map((c) => c.exited));
  });

  /** Runs with `env` and returns the exit code and stderr's non-empty lines. */
  const fails = async (env: Record<string, string>) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-badconfig-'));
    try {
      const child = spawnParley({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
      const code = await within(child.exited, 20_000, 'exit');
      return { code, lines: child.stderr().split('\n').filter(Boolean) };
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };

  it('PORT=abc exits with code 1 and one line naming PORT', async () => {
    const { code, lines } = await fails({ PORT: 'abc' });
    assert.equal(code, 1);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] ?? '', /^Invalid configuration: .*PORT/);
  });

  it('REDIS_URL without JWT_SECRET exits with code 1 and one line naming JWT_SECRET', async () => {
    const { code, lines } = await fails({ REDIS_URL: 'redis://127.0.0.1:6379' });
    assert.equal(code, 1);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] ?? '', /^Invalid configuration: .*JWT_SECRET/);
  });
});
