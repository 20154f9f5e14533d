import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { GroupWorld, nothingMore } from '../support/groups.js';
import { startServer, type TestServer } from '../support/server.js';

describe('groups: presence with PRESENCE_SCOPE=contacts', () => {
  let server: TestServer;
  const world = new GroupWorld(() => server.url);

  before(async () => {
    server = await startServer({ PRESENCE_SCOPE: 'contacts' });
  });
  afterEach(() => world.closeAll());
  after(() => server.close());

  it('members of a shared group are contacts from the start; a removed member hears of them no more', async () => {
    const [owner, ann, stranger] = await world.users(3);
    const group = await world.group(owner, [ann]);
    const a = await world.connect(ann);
    const o = await world.connect(owner);
    assert.deepEqual(
      o.all('online_users')[0].map((u: { userId: string }) => u.userId),
      [ann.user._id],
    );
    assert.equal((await a.next('user_online')).userId, owner.user._id);
    const s = await world.connect(stranger);
    await nothingMore(a, 'user_online', (u) => u.userId === stranger.user._id, 100);
    s.close();

    const removed = await world.rest(
      owner,
      'DELETE',
      `/api/conversations/${group._id}/members/${ann.user._id}`,
    );
    assert.equal(removed.status, 200);
    o.close();
    await nothingMore(a, 'user_offline', () => true, 400);
    const again = await world.connect(owner);
    assert.deepEqual(again.all('online_users'), [[]]);
    await nothingMore(a, 'user_online', () => true, 200);
  });
});
