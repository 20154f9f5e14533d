import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryPresence } from '../../src/presence/memory-presence.js';

describe('MemoryPresence expire', () => {
  it('reports nothing and leaves online users online: one process has nothing to expire', async () => {
    const presence = new MemoryPresence();
    assert.deepEqual(await presence.expire(), []);
    await presence.connect('u1', 'c1');
    await presence.connect('u2', 'c1');
    await presence.disconnect('u2', 'c1');
    assert.deepEqual(await presence.expire(), []);
    assert.equal(await presence.isOnline('u1'), true);
    assert.deepEqual(await presence.onlineUserIds(), ['u1']);
    assert.equal(await presence.disconnect('u1', 'c1'), true, 'the connection is still counted');
    await presence.close();
  });
});
