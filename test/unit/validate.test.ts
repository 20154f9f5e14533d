import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/domain/errors.js';
import {
  historyInput,
  historyQuery,
  loginInput,
  markMessageReadInput,
  registerInput,
  sendMessageInput,
  typingInput,
  usersQuery,
} from '../../src/protocol/inputs.js';
import { parseInput } from '../../src/protocol/validate.js';

/** The message of the VALIDATION error `parseInput` throws. */
const rejection = (schema: Parameters<typeof parseInput>[0], input: unknown, label: string): string => {
  try {
    parseInput(schema, input, label);
  } catch (err) {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, 'VALIDATION');
    return err.message;
  }
  assert.fail(`expected ${JSON.stringify(input)} to be rejected`);
};

const send = (input: unknown) => rejection(sendMessageInput, input, 'send_message payload');
const history = (input: unknown) => rejection(historyInput, input, 'get_message_history payload');

describe('parseInput: send_message', () => {
  it('accepts a valid payload and trims the content', () => {
    assert.deepEqual(parseInput(sendMessageInput, { receiverId: ' u1 ', content: '  hi  ' }, 'x'), {
      receiverId: 'u1',
      content: 'hi',
    });
  });

  it('tells a missing field from a wrong type from an empty value', () => {
    assert.equal(send({ content: 'hi' }), 'receiverId is required');
    assert.equal(send({ receiverId: null, content: 'hi' }), 'receiverId is required');
    assert.equal(send({ receiverId: 42, content: 'hi' }), 'receiverId must be a string');
    assert.equal(send({ receiverId: { $ne: '' }, content: 'hi' }), 'receiverId must be a string');
    assert.equal(send({ receiverId: ['u1'], content: 'hi' }), 'receiverId must be a string');
    assert.equal(send({ receiverId: '', content: 'hi' }), 'receiverId must not be empty');
    assert.equal(send({ receiverId: '   ', content: 'hi' }), 'receiverId must not be empty');
    assert.equal(send({ receiverId: 'u1' }), 'content is required');
    assert.equal(send({ receiverId: 'u1', content: 7 }), 'content must be a string');
    assert.equal(send({ receiverId: 'u1', content: ['hi'] }), 'content must be a string');
    assert.equal(send({ receiverId: 'u1', content: '' }), 'content must not be empty');
    assert.equal(send({ receiverId: 'u1', content: ' \n\t ' }), 'content must not be empty');
  });

  it('rejects NUL characters, which no client means to send and PostgreSQL cannot store', () => {
    assert.equal(send({ receiverId: 'u1', content: 'a\u0000b' }), 'content must not contain NUL characters');
    assert.equal(
      send({ receiverId: 'u\u00001', content: 'hi' }),
      'receiverId must not contain NUL characters',
    );
  });

  it('bounds ids', () => {
    assert.equal(send({ receiverId: 'x'.repeat(129), content: 'hi' }), 'receiverId is too long');
  });

  it('says the payload must be an object when the root is not one', () => {
    for (const input of [undefined, null, 'hello', 42, true, ['u1', 'hi']]) {
      assert.equal(send(input), 'send_message payload must be an object');
    }
    assert.equal(rejection(registerInput, 'not json', 'request body'), 'request body must be an object');
  });
});

describe('parseInput: other socket payloads', () => {
  it('names messageId and receiverId', () => {
    assert.equal(rejection(markMessageReadInput, {}, 'mark_message_read payload'), 'messageId is required');
    assert.equal(
      rejection(markMessageReadInput, { messageId: 5 }, 'mark_message_read payload'),
      'messageId must be a string',
    );
    assert.equal(
      rejection(typingInput, { receiverId: '' }, 'typing_start payload'),
      'receiverId must not be empty',
    );
    assert.equal(rejection(typingInput, [], 'typing_stop payload'), 'typing_stop payload must be an object');
  });

  it('caps limit to 100 and accepts numeric strings for page and limit', () => {
    assert.deepEqual(parseInput(historyInput, { otherUserId: 'u', limit: 500 }, 'x'), {
      otherUserId: 'u',
      limit: 100,
    });
    assert.deepEqual(parseInput(historyInput, { otherUserId: 'u', page: '3', limit: '20' }, 'x'), {
      otherUserId: 'u',
      page: 3,
      limit: 20,
    });
    assert.deepEqual(parseInput(historyQuery, { page: '2', limit: '1000' }, 'query string'), {
      page: 2,
      limit: 100,
    });
    assert.deepEqual(parseInput(historyInput, { otherUserId: 'u' }, 'x'), { otherUserId: 'u' });
  });

  it('treats null page and limit as not given', () => {
    assert.deepEqual(parseInput(historyInput, { otherUserId: 'u1', page: null, limit: null }, 'x'), {
      otherUserId: 'u1',
      page: undefined,
      limit: undefined,
    });
  });

  it('rejects page and limit below 1, fractions and non-numbers', () => {
    assert.equal(history({ otherUserId: 'u', page: 0 }), 'page must be a positive integer');
    assert.equal(history({ otherUserId: 'u', page: '-1' }), 'page must be a positive integer');
    assert.equal(history({ otherUserId: 'u', page: 1.5 }), 'page must be a positive integer');
    assert.equal(history({ otherUserId: 'u', page: 'two' }), 'page must be a positive integer');
    assert.equal(history({ otherUserId: 'u', limit: 0 }), 'limit must be a positive integer');
    assert.equal(history({ otherUserId: 'u', limit: 'NaN' }), 'limit must be a positive integer');
    assert.equal(history({ otherUserId: 'u', limit: '1e3' }), 'limit must be a positive integer');
    assert.equal(history({ page: 1 }), 'otherUserId is required');
  });
});

describe('parseInput: REST bodies and queries', () => {
  const valid = { name: 'Ann', username: 'ann_1', email: ' Ann@Example.TEST ', password: 'long enough' };

  it('normalises a registration (email lower-cased, role optional)', () => {
    assert.deepEqual(parseInput(registerInput, valid, 'request body'), {
      name: 'Ann',
      username: 'ann_1',
      email: 'ann@example.test',
      password: 'long enough',
    });
  });

  it('names the invalid registration field', () => {
    const reg = (over: Record<string, unknown>) =>
      rejection(registerInput, { ...valid, ...over }, 'request body');
    assert.equal(reg({ name: '' }), 'name must not be empty');
    assert.equal(reg({ name: 5 }), 'name must be a string');
    assert.match(reg({ username: 'a b' }), /^username must be 3-50 characters/);
    assert.match(reg({ username: 'ab' }), /^username /);
    assert.equal(reg({ email: 'nope' }), 'email must be a valid email address');
    assert.equal(reg({ email: undefined }), 'email is required');
    assert.equal(reg({ password: 'short' }), 'password must be at least 8 characters');
    assert.equal(reg({ password: 'x'.repeat(257) }), 'password must be at most 256 characters');
  });

  it('requires an email or a username to log in', () => {
    assert.equal(
      rejection(loginInput, { password: 'secret123' }, 'request body'),
      'email or username is required',
    );
    assert.equal(rejection(loginInput, { email: 'a@b.c' }, 'request body'), 'password is required');
    assert.deepEqual(parseInput(loginInput, { username: 'Ann_1', password: 'p' }, 'request body'), {
      username: 'Ann_1',
      password: 'p',
    });
  });

  it('validates the user search query', () => {
    assert.deepEqual(parseInput(usersQuery, { q: '  bob ', limit: '500' }, 'query string'), {
      q: 'bob',
      limit: 100,
    });
    assert.equal(rejection(usersQuery, { q: 'x'.repeat(101) }, 'query string'), 'q is too long');
  });
});
