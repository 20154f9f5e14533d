import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { WireConversation } from '../../src/protocol/outputs.js';
import { GroupWorld } from '../support/groups.js';
import type { Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { TOO_MANY } from '../support/socket.js';

type Role = 'owner' | 'admin' | 'member' | 'stranger' | 'removed';
type Cast = Record<Role | 'admin2' | 'member2', Registered>;

const ok = 200;
const denied = [403, 'Access denied'] as const;
const notFound = [404, 'Conversation not found'] as const;

/** One operation on a fresh group, by `actor`; `cast` names everyone. */
type Operation = (
  world: GroupWorld,
  id: string,
  actor: Registered,
  cast: Cast,
) => ReturnType<GroupWorld['rest']>;

const operations: Record<string, Operation> = {
  rename: (w, id, actor) => w.rest(actor, 'PATCH', `/api/conversations/${id}`, { title: 'Renamed' }),
  add: (w, id, actor, cast) =>
    w.rest(actor, 'POST', `/api/conversations/${id}/members`, { userIds: [cast.stranger.user._id] }),
  'remove a member': (w, id, actor, cast) =>
    w.rest(actor, 'DELETE', `/api/conversations/${id}/members/${cast.member2.user._id}`),
  'remove an admin': (w, id, actor, cast) =>
    w.rest(actor, 'DELETE', `/api/conversations/${id}/members/${cast.admin2.user._id}`),
  'remove the owner': (w, id, actor, cast) =>
    w.rest(actor, 'DELETE', `/api/conversations/${id}/members/${cast.owner.user._id}`),
  'set a role': (w, id, actor, cast) =>
    w.rest(actor, 'PATCH', `/api/conversations/${id}/members/${cast.member2.user._id}`, { role: 'admin' }),
  'hand ownership over': (w, id, actor, cast) =>
    w.rest(actor, 'PATCH', `/api/conversations/${id}/members/${cast.member2.user._id}`, { role: 'owner' }),
  leave: (w, id, actor) => w.rest(actor, 'DELETE', `/api/conversations/${id}/members/${actor.user._id}`),
  read: (w, id, actor) => w.rest(actor, 'GET', `/api/conversations/${id}/messages`),
};

/** Expected answer of each operation for each role: 200, or [status, message]. */
const matrix: Record<string, Record<Role, number | readonly [number, string]>> = {
  rename: { owner: ok, admin: ok, member: denied, stranger: notFound, removed: notFound },
  add: { owner: ok, admin: ok, member: denied, stranger: notFound, removed: notFound },
  'remove a member': { owner: ok, admin: ok, member: denied, stranger: notFound, removed: notFound },
  'remove an admin': { owner: ok, admin: denied, member: denied, stranger: notFound, removed: notFound },
  'remove the owner': { owner: ok, admin: denied, member: denied, stranger: notFound, removed: notFound },
  'set a role': { owner: ok, admin: denied, member: denied, stranger: notFound, removed: notFound },
  'hand ownership over': { owner: ok, admin: denied, member: denied, stranger: notFound, removed: notFound },
  leave: { owner: ok, admin: ok, member: ok, stranger: notFound, removed: notFound },
  read: { owner: ok, admin: ok, member: ok, stranger: notFound, removed: notFound },
};

describe('groups: who may do what (each role × each operation)', () => {
  let server: TestServer;
  const world = new GroupWorld(() => server.url);
  let cast: Cast;

  before(async () => {
    server = await startServer({ RATE_LIMIT_MEMBERSHIP: 'off', RATE_LIMIT_GROUP_CREATE: 'off' });
    const [owner, admin, admin2, member, member2, stranger, removed] = await world.users(7);
    cast = { owner, admin, admin2, member, member2, stranger, removed };
  });
  afterEach(() => world.closeAll());
  after(() => server.close());

  /** A group of owner, two admins, two members, and a member who was removed. */
  const freshGroup = async (): Promise<WireConversation> => {
    const { owner, admin, admin2, member, member2, removed } = cast;
    const group = await world.group(owner, [admin, admin2, member, member2, removed]);
    for (const a of [admin, admin2]) {
      const res = await world.rest(owner, 'PATCH', `/api/conversations/${group._id}/members/${a.user._id}`, {
        role: 'admin',
      });
      assert.equal(res.status, 200);
    }
    const res = await world.rest(
      owner,
      'DELETE',
      `/api/conversations/${group._id}/members/${removed.user._id}`,
    );
    assert.equal(res.status, 200);
    return group;
  };

  for (const [name, expected] of Object.entries(matrix)) {
    it(`${name}: ${Object.entries(expected)
      .map(([role, answer]) => `${role} ${typeof answer === 'number' ? answer : answer[0]}`)
      .join(', ')}`, async () => {
      for (const [role, answer] of Object.entries(expected) as Array<[Role, (typeof expected)[Role]]>) {
        const group = await freshGroup();
        const before = await world.rest(cast.owner, 'GET', `/api/conversations/${group._id}`);
        const res = await (operations[name] as Operation)(world, group._id, cast[role], cast);
        if (typeof answer === 'number') {
          assert.equal(res.status, answer, `${role}: ${JSON.stringify(res.body)}`);
          continue;
        }
        assert.deepEqual([res.status, res.body.message], answer, role);
        // A refusal changes nothing.
        const afterwards = await world.rest(cast.owner, 'GET', `/api/conversations/${group._id}`);
        assert.deepEqual(afterwards.body, before.body, `${role}: nothing changed`);
      }
    });
  }

  it('the same rules over Socket.IO: a member is denied, a stranger and a removed member learn nothing', async () => {
    const group = await freshGroup();
    const ask = async (user: Registered, event: string, payload: Record<string, unknown>) => {
      const client = await world.connect(user);
      return client.ack(event, { conversationId: group._id, ...payload });
    };
    const target = cast.member2.user._id;
    for (const [event, payload] of [
      ['update_conversation', { title: 'x' }],
      ['add_members', { userIds: [cast.stranger.user._id] }],
      ['remove_member', { userId: target }],
      ['set_member_role', { userId: target, role: 'admin' }],
    ] as const) {
      assert.deepEqual(await ask(cast.member, event, payload), { success: false, message: 'Access denied' });
      for (const who of [cast.stranger, cast.removed]) {
        assert.deepEqual(await ask(who, event, payload), {
          success: false,
          message: 'Conversation not found',
        });
      }
    }
    // An admin may not touch the owner or another admin, nor set roles.
    assert.deepEqual(await ask(cast.admin, 'remove_member', { userId: cast.owner.user._id }), {
      success: false,
      message: 'Access denied',
    });
    assert.deepEqual(await ask(cast.admin, 'set_member_role', { userId: target, role: 'admin' }), {
      success: false,
      message: 'Access denied',
    });
  });
});

describe('groups: limits', () => {
  let server: TestServer;
  const world = new GroupWorld(() => server.url);

  before(async () => {
    server = await startServer({
      MAX_GROUP_MEMBERS: '3',
      RATE_LIMIT_GROUP_CREATE: '4/60m',
      RATE_LIMIT_MEMBERSHIP: '5/60s',
    });
  });
  afterEach(() => world.closeAll());
  after(() => server.close());

  it('refuses a group past MAX_GROUP_MEMBERS, at creation and when adding (nobody added), also when adds race', async () => {
    const [owner, a, b, c, d] = await world.users(5);
    const tooBig = await world.rest(owner, 'POST', '/api/conversations', {
      type: 'group',
      title: 'big',
      memberIds: [a, b, c].map((u) => u.user._id),
    });
    assert.deepEqual([tooBig.status, tooBig.body.message], [409, 'Group is full: at most 3 members']);
    const group = await world.group(owner, [a]);
    const full = await world.rest(owner, 'POST', `/api/conversations/${group._id}/members`, {
      userIds: [b.user._id, c.user._id],
    });
    assert.deepEqual([full.status, full.body.message], [409, 'Group is full: at most 3 members']);
    // Two adds at once for the last place: one wins.
    const raced = await Promise.all(
      [c, d].map((u) =>
        world.rest(owner, 'POST', `/api/conversations/${group._id}/members`, { userIds: [u.user._id] }),
      ),
    );
    assert.deepEqual(raced.map((r) => r.status).sort(), [200, 409]);
    const view = await world.rest(owner, 'GET', `/api/conversations/${group._id}`);
    assert.equal(view.body.conversation.memberCount, 3);
    assert.equal(view.body.conversation.members.length, 3);
  });

  it('rate-limits group creation and membership changes per user', async () => {
    const [owner, a] = await world.users(2);
    const created: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      created.push(
        (await world.rest(owner, 'POST', '/api/conversations', { type: 'group', title: `g${i}` })).status,
      );
    }
    assert.deepEqual(created, [201, 201, 201, 201, 429]);
    const [group] = (await world.rest(owner, 'GET', '/api/conversations')).body.conversations;
    const statuses: number[] = [];
    let last: { message?: string } = {};
    for (let i = 0; i < 6; i += 1) {
      const res = await world.rest(owner, 'PATCH', `/api/conversations/${group._id}`, { title: `t${i}` });
      statuses.push(res.status);
      last = res.body;
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    assert.match(last.message ?? '', TOO_MANY('group changes'));
    // Another user's allowance is their own.
    const other = await world.rest(a, 'POST', '/api/conversations', { type: 'group', title: 'mine' });
    assert.equal(other.status, 201);
  });
});
