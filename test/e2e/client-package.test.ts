import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../support/server.js';

/**
 * The typed client as an application gets it: `npm pack` in client/ (whose prepack builds dist/), the
 * tarball installed into a scratch project outside the repository together with socket.io-client from
 * the registry, then a TypeScript file type-checked against the package (nodenext) and a plain `.mjs`
 * run with node against a real Parley. Outside the repository nothing of the server's source, nor zod,
 * can be found: the package has to carry what it needs.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
const socketIoClientRange: string = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'))
  .devDependencies['socket.io-client'];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking this process (the server under test runs in it). */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
  // Settings of an outer `npm test` (npm_config_*, npm_package_*) must not reach the npm run here.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
  const ran = await run(command, args, cwd, timeoutMs);
  assert.equal(
    ran.code,
    0,
    `${command} ${args.join(' ')} failed (${ran.code}):\n${ran.stdout}\n${ran.stderr}`.slice(0, 8000),
  );
  return ran;
}

/** What an application writes in TypeScript; the @ts-expect-error lines fail the check if types go `any`. */
const APP_TS = `import {
  ParleyError,
  createClient,
  register,
  type ClientToServerEvents,
  type MessageSentPayload,
  type OwnWireUser,
  type WireMessage,
} from '@parley/client';

export async function chat(url: string, password: string): Promise<WireMessage> {
  const { token, user } = await register(url, { name: 'Ada', username: 'ada', email: 'ada@example.test', password });
  const me: OwnWireUser = user;
  const client = createClient(url, token, { transports: ['websocket'], ackTimeoutMs: 2000 });
  client.socket.on('receive_message', (m) => console.log(m.senderName, m.content.toUpperCase(), me.email));
  // @ts-expect-error: content is a string
  client.socket.on('receive_message', (m) => Math.round(m.content));
  // @ts-expect-error: the server sends no such event
  client.socket.on('no_such_event', () => undefined);
  // @ts-expect-error: send_message needs content
  client.socket.emit('send_message', { receiverId: '2' });
  client.socket.emit('send_message', { receiverId: '2', content: 'hi' }, (ack) => {
    if (ack.success) console.log((ack satisfies MessageSentPayload).message._id);
    else console.log(ack.message);
  });
  const events: Array<keyof ClientToServerEvents> = ['send_message', 'sync'];
  console.log(events, client.me?.username);
  try {
    return await client.sendMessage('2', 'Hello!', { retries: 0 });
  } catch (err) {
    if (err instanceof ParleyError) console.log(err.source, err.message);
    throw err;
  } finally {
    client.close();
  }
}
`;

/** Groups from TypeScript: the helpers, the listener and REST are typed too. */
const GROUPS_TS = `import { LiveInbox, ParleyRest, createClient, type ConversationUpdatedPayload, type MemberRole, type ReceiptsPayload, type WireConversation } from '@parley/client';

export async function team(url: string, token: string, bobId: string): Promise<ReceiptsPayload> {
  const client = createClient(url, token);
  const inbox = new LiveInbox(client, { limit: 50 });
  inbox.subscribe(() => console.log(inbox.list().map((c) => c.title ?? c.members[0]?.name)));
  client.onConversationUpdated(({ conversation, change }: ConversationUpdatedPayload) => {
    const kind: 'created' | 'renamed' | 'members_added' | 'member_removed' | 'member_left' | 'role_changed' = change.type;
    console.log(kind, conversation.title, change.userIds?.length);
  });
  const group: WireConversation = await client.createGroup('Team', [bobId]);
  const role: MemberRole = 'admin';
  await client.setMemberRole(group._id, bobId, role);
  // @ts-expect-error: no such role
  await client.setMemberRole(group._id, bobId, 'moderator');
  // @ts-expect-error: userIds is a list
  client.socket.emit('add_members', { conversationId: group._id, userIds: bobId });
  await client.addMembers(group._id, [bobId]);
  await client.removeMember(group._id, bobId);
  await client.leaveGroup(group._id);
  const api = new ParleyRest(url, token);
  const renamed: WireConversation = await api.renameGroup(group._id, 'Team 2');
  const sent = await client.sendToConversation(renamed._id, 'hi');
  return api.receipts(sent._id);
}
`;

/** A plain JavaScript chat between two new users: prints what happened as JSON. */
const CHAT_MJS = `import { ParleyError, createClient, register } from '@parley/client';

const url = process.argv[2];
const tag = Date.now().toString(36);
const signUp = (name) =>
  register(url, { name, username: \`\${name.toLowerCase()}_\${tag}\`, email: \`\${name}_\${tag}@example.test\`, password: 'long enough pw' });
const ada = await signUp('Ada');
const bob = await signUp('Bob');
const options = { transports: ['websocket'], ackTimeoutMs: 3000 };
const adaChat = createClient(url, ada.token, options);
const bobChat = createClient(url, bob.token, options);
try {
  await Promise.all([adaChat.ready(), bobChat.ready()]);
  const received = new Promise((resolve) => bobChat.socket.once('receive_message', resolve));
  const sent = await adaChat.sendMessage(bob.user._id, 'Hello from the packed client');
  const got = await received;
  let refusal;
  try {
    await adaChat.sendMessage('999999999', 'to nobody', { retries: 0 });
  } catch (err) {
    refusal = { isParleyError: err instanceof ParleyError, message: err.message };
  }
  const joined = new Promise((resolve) => bobChat.onConversationUpdated(resolve));
  const group = await adaChat.createGroup('Packed group', [bob.user._id]);
  const update = await joined;
  const inGroup = new Promise((resolve) => bobChat.socket.once('receive_message', resolve));
  await adaChat.sendToConversation(group._id, 'Hello group');
  const groupMessage = await inGroup;
  const removed = new Promise((resolve) => bobChat.onConversationUpdated(resolve));
  await adaChat.removeMember(group._id, bob.user._id);
  const removal = await removed;
  const groups = { title: group.title, update: update.change.type, groupMessage: groupMessage.content, removal: removal.change.type };
  console.log(JSON.stringify({ sent, got, unread: await bobChat.unreadCount(), refusal, bobId: bob.user._id, groups }));
} finally {
  adaChat.close();
  bobChat.close();
}
`;

describe('the client package, packed and installed into an application', () => {
  let server: TestServer;
  let packDir: string;
  let appDir: string;
  let packed: string[] = [];

  before(async () => {
    server = await startServer({ RATE_LIMITS: 'off' });
    packDir = mkdtempSync(join(tmpdir(), 'parley-client-pack-'));
    appDir = mkdtempSync(join(tmpdir(), 'parley-client-app-'));
    assert.ok(
      relative(repoRoot, appDir).startsWith('..'),
      'the scratch application is outside the repository',
    );

    const pack = await ok(
      'npm',
      ['pack', '--json', '--pack-destination', packDir],
      join(repoRoot, 'client'),
      120_000,
    );
    // The prepack build prints before npm's JSON.
    const json = pack.stdout.slice(pack.stdout.search(/^\[/m));
    packed = (JSON.parse(json)[0].files as Array<{ path: string }>).map((f) => f.path).sort();
    const tarballs = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
    assert.equal(tarballs.length, 1, `one tarball in ${packDir}: ${tarballs.join(', ')}`);

    writeFileSync(
      join(appDir, 'package.json'),
      JSON.stringify({ name: 'parley-client-app', private: true, type: 'module' }, null, 2),
    );
    await ok(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        join(packDir, tarballs[0]!),
        `socket.io-client@${socketIoClientRange}`,
      ],
      appDir,
      180_000,
    );
  });
  after(async () => {
    await server?.close();
    for (const dir of [packDir, appDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('packs the built ES modules and declarations, which import nothing of the server nor zod', () => {
    assert.deepEqual(packed, [
      'README.md',
      'dist/errors.d.ts',
      'dist/errors.js',
      'dist/inbox.d.ts',
      'dist/inbox.js',
      'dist/index.d.ts',
      'dist/index.js',
      'dist/protocol.d.ts',
      'dist/protocol.js',
      'dist/rest.d.ts',
      'dist/rest.js',
      'package.json',
    ]);
    const installed = join(appDir, 'node_modules', '@parley', 'client');
    for (const file of readdirSync(join(installed, 'dist'))) {
      const text = readFileSync(join(installed, 'dist', file), 'utf8');
      const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      for (const specifier of imports)
        assert.ok(
          specifier === 'socket.io-client' || /^\.\/[\w.-]+\.js$/.test(specifier),
          `dist/${file} imports ${specifier}`,
        );
    }
    const protocol = readFileSync(join(installed, 'dist', 'protocol.d.ts'), 'utf8');
    assert.match(protocol, /export interface ServerToClientEvents \{/);
    assert.match(protocol, /export type WireMessage = \{/);
    assert.doesNotMatch(protocol, /zod|z\.infer|z\.input/);
    assert.equal(existsSync(join(appDir, 'node_modules', 'zod')), false, 'zod is not installed with it');
  });

  it('type-checks a TypeScript application against it (moduleResolution nodenext, no @types/node)', async () => {
    writeFileSync(join(appDir, 'app.ts'), APP_TS);
    writeFileSync(join(appDir, 'groups.ts'), GROUPS_TS);
    // A mistake the declarations must catch: the check is not vacuous.
    writeFileSync(
      join(appDir, 'broken.ts'),
      `import type { WireMessage } from '@parley/client';\nexport const f = (m: WireMessage): number => m.sentAt;\n`,
    );
    const compilerOptions = {
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      lib: ['ES2022', 'DOM'],
      types: [],
      strict: true,
      noEmit: true,
      skipLibCheck: false,
    };
    writeFileSync(
      join(appDir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: ['app.ts', 'groups.ts'] }),
    );
    writeFileSync(
      join(appDir, 'tsconfig.broken.json'),
      JSON.stringify({ compilerOptions, files: ['broken.ts'] }),
    );

    await ok(process.execPath, [TSC, '-p', 'tsconfig.json'], appDir, 60_000);
    const broken = await run(process.execPath, [TSC, '-p', 'tsconfig.broken.json'], appDir, 60_000);
    assert.notEqual(broken.code, 0, 'tsc rejects a string used as a number');
    assert.match(broken.stdout, /broken\.ts.*error TS2322: Type 'string' is not assignable to type 'number'/);
  });

  it('runs in plain node: two users register, chat, then chat in a group until one is removed', async () => {
    mkdirSync(join(appDir, 'bin'), { recursive: true });
    writeFileSync(join(appDir, 'bin', 'chat.mjs'), CHAT_MJS);
    const ran = await ok(process.execPath, ['bin/chat.mjs', server.url], appDir, 30_000);
    const result = JSON.parse(ran.stdout.trim().split('\n').at(-1)!);
    assert.equal(result.sent.content, 'Hello from the packed client');
    assert.equal(result.sent.receiverId, result.bobId);
    assert.equal(result.got._id, result.sent._id, 'the receiver got the message the sender stored');
    assert.equal(result.got.senderName, 'Ada');
    assert.equal(result.got.content, 'Hello from the packed client');
    assert.equal(result.unread, 1);
    assert.deepEqual(result.refusal, { isParleyError: true, message: 'Receiver not found' });
    assert.deepEqual(result.groups, {
      title: 'Packed group',
      update: 'created',
      groupMessage: 'Hello group',
      removal: 'member_removed',
    });
  });
});
