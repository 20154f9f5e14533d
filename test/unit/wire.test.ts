import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message, User } from '../../src/domain/types.js';
import { preview, toOnlineUser, toOwnWireUser, toWireMessage, toWireUser } from '../../src/protocol/wire.js';

const codePoints = (s: string) => Array.from(s).length;
const hasLoneSurrogate = (s: string) =>
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('preview', () => {
  it('returns content of at most 100 characters unchanged', () => {
    for (const content of ['', 'hi', 'x'.repeat(99), 'y'.repeat(100)]) {
      assert.equal(preview(content), content);
    }
  });

  it('cuts longer content to exactly 100 characters ending in "..."', () => {
    const content = 'abcdefghij'.repeat(20);
    const result = preview(content);
    assert.equal(result.length, 100);
    assert.equal(result, `${content.slice(0, 97)}...`);
    assert.equal(preview('z'.repeat(101)), `${'z'.repeat(97)}...`);
  });

  it('counts an emoji as one character', () => {
    const emoji = '😀'.repeat(100); // 200 UTF-16 units, 100 code points
    assert.equal(preview(emoji), emoji);
    const mixed = `a${'👍'.repeat(99)}`;
    assert.equal(preview(mixed), mixed);
  });

  it('never splits a surrogate pair when cutting', () => {
    const long = '🎉'.repeat(150);
    const result = preview(long);
    assert.equal(codePoints(result), 100);
    assert.equal(result, `${'🎉'.repeat(97)}...`);
    assert.equal(hasLoneSurrogate(result), false);

    // The 97th code point is an emoji whose halves straddle UTF-16 index 97.
    const straddling = `${'a'.repeat(96)}${'😀'.repeat(10)}`;
    const cut = preview(straddling);
    assert.equal(cut, `${'a'.repeat(96)}😀...`);
    assert.equal(hasLoneSurrogate(cut), false);
  });

  it('honours a custom maximum', () => {
    assert.equal(preview('abcdefghij', 8), 'abcde...');
    assert.equal(preview('abcdefgh', 8), 'abcdefgh');
  });
});

const alice: User = {
  id: '9b2f7c1e-0000-4000-8000-000000000001',
  name: 'Alice',
  username: 'alice',
  email: 'alice@example.test',
  role: 'customer',
  lastSeen: null,
  createdAt: new Date('2024-01-02T03:04:05.678Z'),
};

const message: Message = {
  id: '42',
  conversationId: '7',
  senderId: alice.id,
  receiverId: '9b2f7c1e-0000-4000-8000-000000000002',
  content: 'Hello',
  sentAt: new Date('2024-05-06T07:08:09.010Z'),
  readAt: null,
};

describe('toWireUser / toOwnWireUser / toOnlineUser', () => {
  it('maps the spec fields for the user themselves, with lastSeen null when never seen', () => {
    assert.deepEqual(toOwnWireUser(alice), {
      _id: alice.id,
      name: 'Alice',
      username: 'alice',
      email: 'alice@example.test',
      role: 'customer',
      lastSeen: null,
    });
  });

  it('shows other users without their email', () => {
    const wire = toWireUser(alice);
    assert.ok(!('email' in wire));
    assert.deepEqual(wire, {
      _id: alice.id,
      name: 'Alice',
      username: 'alice',
      role: 'customer',
      lastSeen: null,
    });
  });

  it('renders lastSeen as an ISO string and never leaks createdAt or a password', () => {
    const wire = toOwnWireUser({ ...alice, lastSeen: new Date('2024-06-01T10:30:00.000Z') });
    assert.equal(wire.lastSeen, '2024-06-01T10:30:00.000Z');
    assert.deepEqual(Object.keys(wire).sort(), ['_id', 'email', 'lastSeen', 'name', 'role', 'username']);
  });

  it('adds userId for online_users entries, with email unless told to leave it out', () => {
    assert.deepEqual(toOnlineUser(alice), { userId: alice.id, ...toOwnWireUser(alice) });
    assert.deepEqual(toOnlineUser(alice, false), { userId: alice.id, ...toWireUser(alice) });
  });
});

describe('toWireMessage', () => {
  const names = { senderName: 'Alice', receiverName: 'Bob' };

  it('maps exactly the spec fields of an unread message', () => {
    assert.deepEqual(toWireMessage(message, names), {
      _id: '42',
      conversationId: '7',
      content: 'Hello',
      sentAt: '2024-05-06T07:08:09.010Z',
      read: false,
      senderId: message.senderId,
      senderName: 'Alice',
      receiverId: message.receiverId,
      receiverName: 'Bob',
    });
  });

  it('reports read: true once readAt is set, without adding fields', () => {
    const wire = toWireMessage({ ...message, readAt: new Date() }, names);
    assert.equal(wire.read, true);
    assert.deepEqual(Object.keys(wire).sort(), [
      '_id',
      'content',
      'conversationId',
      'read',
      'receiverId',
      'receiverName',
      'senderId',
      'senderName',
      'sentAt',
    ]);
  });
});
