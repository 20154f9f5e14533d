import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { SQLite as Database } from '../../src/store/sqlite-driver.js';
import pg from 'pg';
import { listeningUrl, runParley, spawnParley, waitHealthy } from '../support/cli.js';
import { http, registerUser } from '../support/http.js';
import { freePort } from '../support/redis-server.js';
import { createTestSchema, postgresSkip, type TestSchema } from '../support/services.js';
import { TestClient, connectClient, handshakeOutcome } from '../support/socket.js';

/**
 * The `parley` command as users run it: a real process per invocation (`node --import tsx src/cli.ts`),
 * on SQLite in a fresh DATA_DIR and, when it answers, PostgreSQL in a fresh schema.
 */

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const PASSWORD = 'correct horse battery';
const MIGRATION = /^Applied (\d{4}_\w+)$/;
const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
  dirs.push(dir);
  return dir;
};
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** The migrations `parley migrate` said it applied, checking every line of its output. */
function appliedBy(stdout: string): string[] {
  const lines = stdout.trimEnd().split('\n');
  const summary = lines.pop() ?? '';
  const names = lines.map((l) => MIGRATION.exec(l)?.[1] ?? assert.fail(`unexpected line: ${l}`));
  assert.match(
    summary,
    names.length === 0 ? /is up to date: nothing to apply$/ : /is up to date: \d+ migrations? applied$/,
  );
  return names;
}

describe('parley: usage', () => {
  it('--help and `help` list every command on stdout; --version prints the package version', async () => {
    const [help, helpCommand, version] = await Promise.all([
      runParley(['--help']),
      runParley(['help']),
      runParley(['--version']),
    ]);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stderr, '');
    assert.match(help.stdout, /^Usage: parley <command>/);
    for (const command of ['start', 'migrate', 'user create', 'user disable', 'user enable', 'user delete'])
      assert.match(help.stdout, new RegExp(`\\n  ${command} `));
    assert.equal(helpCommand.stdout, help.stdout);
    assert.deepEqual(version, { code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it("the package's bin (bin/parley.mjs, what npx parley runs) is the same command", async () => {
    const bin = fileURLToPath(new URL('../../bin/parley.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, '--version'], { timeout: 30_000 });
    assert.equal(stdout, `${VERSION}\n`);
  });

  it("a command's --help shows its own options", async () => {
    const create = await runParley(['user', 'create', '--help']);
    assert.equal(create.code, 0);
    assert.match(create.stdout, /^Usage: parley user create /);
    for (const option of ['--name', '--username', '--email', '--password-stdin', '--role', '--token'])
      assert.ok(create.stdout.includes(option), option);
  });

  it('an unknown command or option: the problem and usage on stderr, exit 2', async () => {
    const [unknown, option, both] = await Promise.all([
      runParley(['bogus']),
      runParley(['migrate', '--force']),
      runParley(['user', 'create', '--password', PASSWORD, '--password-stdin'], { input: PASSWORD }),
    ]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stdout, '');
    assert.match(unknown.stderr, /^parley: unknown command 'bogus'\n\nUsage: parley <command>/);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /^parley: migrate: Unknown option '--force'/);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /either --password or --password-stdin/);
  });

  it('invalid settings: the server’s one-line message, exit 1, for every command', async () => {
    const env = { PORT: 'abc', DATA_DIR: freshDir() };
    const results = await Promise.all([
      runParley(['start'], { env }),
      runParley(['user', 'create', '--name', 'N', '--username', 'nnn', '--email', 'n@example.test'], { env }),
    ]);
    for (const result of results) {
      assert.deepEqual(result, {
        code: 1,
        stdout: '',
        stderr: 'Invalid configuration: PORT must be an integer between 0 and 65535\n',
      });
    }
  });
});

describe('parley migrate', () => {
  it('migrates a fresh SQLite DATA_DIR, lists what it applied, and applies nothing the second time', async () => {
    const dataDir = freshDir();
    const first = await runParley(['migrate'], { env: { DATA_DIR: dataDir } });
    assert.equal(first.code, 0, first.stderr);
    const applied = appliedBy(first.stdout);
    assert.ok(applied.length > 0);
    const db = new Database(join(dataDir, 'parley.db'), { readonly: true });
    try {
      const recorded = db.prepare('select name from kysely_migration order by name').pluck().all();
      assert.deepEqual(recorded, applied);
      const tables = db.prepare("select name from sqlite_master where type = 'table'").pluck().all();
      for (const table of ['users', 'messages', 'conversations', 'conversation_members'])
        assert.ok(tables.includes(table), table);
    } finally {
      db.close();
    }
    const second = await runParley(['migrate'], { env: { DATA_DIR: dataDir } });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(appliedBy(second.stdout), []);
  });

  it('storage it cannot reach: exit 1 with one line, the password redacted', async () => {
    const url = `postgres://parley:hunter22@127.0.0.1:${await freePort()}/parley`;
    const result = await runParley(['migrate'], { env: { DATABASE_URL: url, JWT_SECRET: 'x'.repeat(32) } });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^Migration failed: Cannot open postgres storage at postgres:\/\/parley:\*\*\*@127\.0\.0\.1:\d+\/parley: .+\n$/,
    );
    assert.ok(!result.stderr.includes('hunter22'));
  });
});

describe('parley on PostgreSQL', async () => {
  const skip = await postgresSkip();
  let schema: TestSchema | undefined;
  before(async () => {
    if (!skip) schema = await createTestSchema();
  });
  after(async () => schema?.drop());

  it('migrates a fresh schema, then creates a user in it', { skip }, async () => {
    if (!schema) return assert.fail('no schema');
    const env = { DATABASE_URL: schema.url, JWT_SECRET: 'parley-cli-test-secret-0123456789abcdef' };
    const migrated = await runParley(['migrate'], { env });
    assert.equal(migrated.code, 0, migrated.stderr);
    const applied = appliedBy(migrated.stdout);
    assert.ok(applied.length > 0);
    const created = await runParley(
      [
        'user',
        'create',
        '--name',
        'Pat',
        '--username',
        'pat',
        '--email',
        'pat@example.test',
        '--password-stdin',
      ],
      { env, input: `${PASSWORD}\n` },
    );
    assert.equal(created.code, 0, created.stderr);
    const user = JSON.parse(created.stdout);
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      const tables = await client.query(
        'select table_name from information_schema.tables where table_schema = $1',
        [schema.schema],
      );
      const names = tables.rows.map((r) => r.table_name);
      for (const table of ['users', 'messages', 'conversations', 'conversation_members', 'kysely_migration'])
        assert.ok(names.includes(table), table);
      const migrations = await client.query('select name from kysely_migration order by name');
      assert.deepEqual(
        migrations.rows.map((r) => r.name),
        applied,
      );
      const rows = await client.query('select id, username, password_hash from users');
      assert.equal(rows.rows.length, 1);
      assert.equal(String(rows.rows[0].id), user._id);
      assert.match(rows.rows[0].password_hash, /^\$argon2id\$/);
    } finally {
      await client.end();
    }
  });
});

describe('parley user create and parley start on one DATA_DIR', () => {
  const dataDir = freshDir();
  const env = { DATA_DIR: dataDir };
  let created: { token: string; user: Record<string, unknown> };

  it('creates a user (password from stdin) and prints it with a token', async () => {
    const ok = await runParley(
      [
        'user',
        'create',
        '--name',
        'Ada Lovelace',
        '--username',
        'ada_cli',
        '--email',
        'Ada@Example.TEST',
        '--password-stdin',
        '--token',
      ],
      { env, input: `${PASSWORD}\n` },
    );
    assert.equal(ok.code, 0, ok.stderr);
    created = JSON.parse(ok.stdout);
    assert.deepEqual(Object.keys(created).sort(), ['token', 'user']);
    assert.match(String(created.user._id), /^\d+$/);
    assert.deepEqual(created.user, {
      _id: created.user._id,
      name: 'Ada Lovelace',
      username: 'ada_cli',
      email: 'ada@example.test',
      role: 'customer',
      lastSeen: null,
    });
    assert.match(ok.stderr, /JWT_SECRET is not set/);
    assert.ok(existsSync(join(dataDir, 'jwt-secret')), 'the secret is kept where the server looks for it');
  });

  it('refuses a taken username or email and invalid fields with the REST API’s messages, exit 1', async () => {
    const base = ['user', 'create', '--name', 'Other'];
    const password = ['--password', PASSWORD];
    const cases: Array<[string[], string]> = [
      [['--username', 'ADA_CLI', '--email', 'other@example.test', ...password], 'Username already taken'],
      [['--username', 'other', '--email', 'ada@example.test', ...password], 'Email already registered'],
      [
        ['--username', 'x', '--email', 'x@example.test', ...password],
        'username must be 3-50 characters of letters, digits, underscore, dot or hyphen',
      ],
      [
        ['--username', 'other', '--email', 'x@example.test', '--password', 'short'],
        'password must be at least 8 characters',
      ],
      [['--username', 'other', '--email', 'x@example.test'], 'password is required'],
    ];
    for (const [args, message] of cases) {
      const result = await runParley([...base, ...args], { env });
      assert.deepEqual(result, { code: 1, stdout: '', stderr: `${message}\n` }, args.join(' '));
    }
  });

  it('`parley start` serves that user, accepts the CLI’s token, and exits 0 on SIGTERM', async () => {
    const server = spawnParley(['start'], { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    const url = await listeningUrl(server);
    try {
      await waitHealthy(server, url);
      const login = await http(url, 'POST', '/api/auth/login', {
        body: { username: 'ada_cli', password: PASSWORD },
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      assert.equal(login.body.user._id, created.user._id);
      const me = await http(url, 'GET', '/api/auth/me', { token: created.token });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.user.username, 'ada_cli');

      // A user created while the server runs can log in at once.
      const admin = await runParley(
        [
          'user',
          'create',
          '--name',
          'Root',
          '--username',
          'root_cli',
          '--email',
          'root@example.test',
          '--password',
          PASSWORD,
          '--role',
          'Admin',
        ],
        { env },
      );
      assert.equal(admin.code, 0, admin.stderr);
      assert.equal(JSON.parse(admin.stdout).role, 'admin');
      const adminLogin = await http(url, 'POST', '/api/auth/login', {
        body: { email: 'root@example.test', password: PASSWORD },
      });
      assert.equal(adminLogin.status, 200, JSON.stringify(adminLogin.body));
      assert.equal(adminLogin.body.user.role, 'admin');
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited, 0, `${server.stdout()}\n${server.stderr()}`);
  });
});

describe('parley user disable, enable and delete, while the server runs', () => {
  const dataDir = freshDir();
  const env = { DATA_DIR: dataDir };
  let server: ReturnType<typeof spawnParley>;
  let url: string;

  /** Resolves once the server closed `client` for its user being gone (`error`, then the disconnect). */
  const closedByServer = async (client: TestClient) => {
    const error = await client.next('error', () => true, 5000);
    assert.deepEqual(error, { message: 'Authentication error: User not found' });
    assert.equal(await client.closed(5000), 'io server disconnect');
  };

  before(async () => {
    server = spawnParley(['start'], {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SESSION_RECHECK_MS: '200',
    });
    url = await listeningUrl(server);
    await waitHealthy(server, url);
  });
  after(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
  });

  it('disable closes the user’s open sockets on the running server; enable lets them back', async () => {
    const [ada, ben] = [await registerUser(url), await registerUser(url)];
    const [adas, bens] = [await connectClient(url, ada.token), await connectClient(url, ben.token)];
    try {
      const disabled = await runParley(['user', 'disable', ada.user.username.toUpperCase()], { env });
      assert.equal(disabled.code, 0, disabled.stderr);
      const printed = JSON.parse(disabled.stdout);
      assert.equal(printed._id, ada.user._id);
      assert.ok(!Number.isNaN(Date.parse(printed.disabledAt)));
      await closedByServer(adas);
      assert.equal(bens.socket.connected, true);
      assert.equal(await handshakeOutcome(url, ada.token), 'Authentication error: User not found');

      const enabled = await runParley(['user', 'enable', ada.user._id], { env });
      assert.equal(enabled.code, 0, enabled.stderr);
      assert.equal(JSON.parse(enabled.stdout).disabledAt, null);
      assert.equal(await handshakeOutcome(url, ada.token), 'connected');
    } finally {
      adas.close();
      bens.close();
    }
  });

  it('delete closes the user’s sockets and removes them; unknown users exit 1, no user exits 2', async () => {
    const cy = await registerUser(url);
    const cys = await connectClient(url, cy.token);
    try {
      const deleted = await runParley(['user', 'delete', cy.user._id], { env });
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(JSON.parse(deleted.stdout).username, cy.user.username);
      await closedByServer(cys);
      const me = await http(url, 'GET', '/api/auth/me', { token: cy.token });
      assert.deepEqual([me.status, me.body.message], [401, 'Authentication error: User not found']);
    } finally {
      cys.close();
    }
    const again = await runParley(['user', 'delete', cy.user._id], { env });
    assert.deepEqual(again, { code: 1, stdout: '', stderr: `User not found: ${cy.user._id}\n` });
    const [none, two] = await Promise.all([
      runParley(['user', 'disable'], { env }),
      runParley(['user', 'enable', 'a', 'b'], { env }),
    ]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^parley: user disable: <user> is required/);
    assert.equal(two.code, 2);
    assert.match(two.stderr, /^parley: user enable: give one user only/);
  });
});
