import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../src/services/event-bus.js';
import type { Logger } from '../../src/services/ports.js';

interface TestEvents {
  ping: { n: number };
  pong: string;
}

/** A logger that keeps its `error` lines. */
const recordingLogger = () => {
  const errors: Array<{ obj: unknown; msg: string | undefined }> = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (obj, msg) => void errors.push({ obj, msg }),
  };
  return { logger, errors };
};

describe('EventBus', () => {
  it('calls the subscribers of an event synchronously, in subscription order, inside emit', () => {
    const bus = new EventBus<TestEvents>(recordingLogger().logger);
    const seen: string[] = [];
    bus.on('ping', ({ n }) => seen.push(`a${n}`));
    bus.on('pong', (s) => seen.push(`pong ${s}`));
    bus.on('ping', ({ n }) => seen.push(`b${n}`));
    bus.emit('ping', { n: 1 });
    seen.push('returned');
    bus.emit('pong', 'x');
    assert.deepEqual(seen, ['a1', 'b1', 'returned', 'pong x']);
  });

  it('emits to nobody without subscribers, and stops calling a subscriber once it is off', () => {
    const bus = new EventBus<TestEvents>(recordingLogger().logger);
    bus.emit('ping', { n: 0 });
    const seen: number[] = [];
    const off = bus.on('ping', ({ n }) => seen.push(n));
    bus.emit('ping', { n: 1 });
    off();
    off();
    bus.emit('ping', { n: 2 });
    assert.deepEqual(seen, [1]);
  });

  it('logs a subscriber that throws or rejects; the publisher and the other subscribers carry on', async () => {
    const { logger, errors } = recordingLogger();
    const bus = new EventBus<TestEvents>(logger);
    const seen: string[] = [];
    bus.on('ping', () => {
      throw new Error('sync failure');
    });
    bus.on('ping', async () => {
      throw new Error('async failure');
    });
    bus.on('ping', () => seen.push('third'));
    assert.doesNotThrow(() => bus.emit('ping', { n: 1 }));
    assert.deepEqual(seen, ['third']);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      errors.map(({ obj }) => [(obj as { event: string }).event, (obj as { err: Error }).err.message]),
      [
        ['ping', 'sync failure'],
        ['ping', 'async failure'],
      ],
    );
  });

  it('lets a subscriber unsubscribe itself while the event is being dispatched', () => {
    const bus = new EventBus<TestEvents>(recordingLogger().logger);
    const seen: string[] = [];
    const off = bus.on('ping', () => {
      seen.push('once');
      off();
    });
    bus.on('ping', () => seen.push('always'));
    bus.emit('ping', { n: 1 });
    bus.emit('ping', { n: 2 });
    assert.deepEqual(seen, ['once', 'always', 'always']);
  });

  it('tells whether a message.stored subscriber may read group recipients', () => {
    const bus = new EventBus(recordingLogger().logger);
    assert.equal(bus.wantsGroupRecipients(), false);
    const offLean = bus.on('message.stored', () => {}, { withoutGroupRecipients: true });
    bus.on('typing.changed', () => {});
    assert.equal(bus.wantsGroupRecipients(), false);
    const off = bus.on('message.stored', () => {});
    assert.equal(bus.wantsGroupRecipients(), true);
    off();
    assert.equal(bus.wantsGroupRecipients(), false);
    offLean();
    assert.equal(bus.wantsGroupRecipients(), false);
  });
});
