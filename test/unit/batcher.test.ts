import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Batcher } from '../../src/store/batcher.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { createSqliteDialect } from '../../src/store/sqlite-dialect.js';
import type { NewUser } from '../../src/store/store.js';

/** Resolves after the current turn's immediates (so after any batch the batcher scheduled before). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

/** A handler that records every batch it is given and answers with `answer` (default: upper-cased items). */
const recorder = (answer: (items: string[]) => Promise<string[]> = async (items) => items.map(upper)) => {
  const calls: string[][] = [];
  const handle = (items: string[]) => {
    calls.push([...items]);
    return answer(items);
  };
  return { calls, handle };
};
const upper = (s: string) => s.toUpperCase();

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
before(() => void process.on('unhandledRejection', onUnhandled));
after(() => void process.off('unhandledRejection', onUnhandled));

describe('Batcher: grouping', () => {
  it('adds made in one turn form one batch, in call order; later turns form later batches', async () => {
    const { calls, handle } = recorder();
    const batcher = new Batcher(handle, 100);
    const first = ['a', 'b', 'c'].map((x) => batcher.add(x));
    assert.deepEqual(calls, [], 'nothing is handled before the turn ends');
    assert.deepEqual(await Promise.all(first), ['A', 'B', 'C']);
    assert.deepEqual(calls, [['a', 'b', 'c']]);

    const second = [batcher.add('d'), batcher.add('e')];
    assert.deepEqual(await Promise.all(second), ['D', 'E']);
    assert.deepEqual(calls, [
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('an add after the scheduled flush has run goes into a new batch', async () => {
    const { calls, handle } = recorder();
    const batcher = new Batcher(handle, 100);
    const a = batcher.add('a');
    await turn();
    const b = batcher.add('b');
    assert.deepEqual(await Promise.all([a, b]), ['A', 'B']);
    assert.deepEqual(calls, [['a'], ['b']]);
  });

  it('each caller receives the result at its own position', async () => {
    const batcher = new Batcher<number, { n: number; sq: number }>(
      async (items) => items.map((n) => ({ n, sq: n * n })),
      100,
    );
    const inputs = [3, 1, 4, 1, 5, 9, 2, 6];
    const results = await Promise.all(inputs.map((n) => batcher.add(n)));
    assert.deepEqual(
      results,
      inputs.map((n) => ({ n, sq: n * n })),
    );
  });

  it('maxBatch splits: 7 adds with maxBatch 3 → batches of 3, 3 and 1, in order, one at a time', async () => {
    const { calls, handle } = recorder();
    const batcher = new Batcher(handle, 3);
    const items = ['1', '2', '3', '4', '5', '6', '7'];
    const pending = items.map((x) => batcher.add(x));
    assert.deepEqual(
      calls,
      [['1', '2', '3']],
      'a full batch starts at once, without waiting for the turn to end; the next waits for it',
    );
    assert.deepEqual(await Promise.all(pending), items);
    assert.deepEqual(calls, [['1', '2', '3'], ['4', '5', '6'], ['7']]);
  });
});

describe('Batcher: failures', () => {
  it('a batch rejected because of one bad item: the others resolve after retries, the bad one rejects', async () => {
    const { calls, handle } = recorder(async (items) => {
      if (items.includes('bad')) throw new Error(`refused ${items.join(',')}`);
      return items.map(upper);
    });
    const batcher = new Batcher(handle, 100);
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((x) => batcher.add(x)));
    assert.deepEqual(results[0], { status: 'fulfilled', value: 'A' });
    assert.deepEqual(results[2], { status: 'fulfilled', value: 'C' });
    assert.equal(results[1]?.status, 'rejected');
    // The bad caller sees the error of its own retry, not the batch's.
    assert.equal((results[1] as PromiseRejectedResult).reason.message, 'refused bad');
    assert.deepEqual(calls, [['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('when every item fails, each caller rejects with the error of its own retry', async () => {
    const { calls, handle } = recorder(async (items) => {
      throw new Error(`no ${items.join(',')}`);
    });
    const batcher = new Batcher(handle, 100);
    const results = await Promise.allSettled(['x', 'y'].map((x) => batcher.add(x)));
    assert.deepEqual(
      results.map((r) => (r as PromiseRejectedResult).reason.message),
      ['no x', 'no y'],
    );
    assert.deepEqual(calls, [['x', 'y'], ['x'], ['y']]);
  });

  it('a handler returning the wrong number of results: every item is retried alone and gets its result', async () => {
    // Documented behaviour: a count mismatch counts as a failed batch, so each item is retried alone.
    for (const wrong of [(items: string[]) => items.slice(1), (items: string[]) => [...items, 'EXTRA']]) {
      const { calls, handle } = recorder(async (items) =>
        items.length > 1 ? wrong(items.map(upper)) : items.map(upper),
      );
      const batcher = new Batcher(handle, 100);
      assert.deepEqual(await Promise.all(['p', 'q', 'r'].map((x) => batcher.add(x))), ['P', 'Q', 'R']);
      assert.deepEqual(calls, [['p', 'q', 'r'], ['p'], ['q'], ['r']]);
    }
  });

  it('an error retryAlone refuses fails every item of the batch at once, without retries', async () => {
    const down = new Error('storage unreachable');
    const { calls, handle } = recorder(async () => {
      throw down;
    });
    const batcher = new Batcher(handle, 10, (err) => err !== down);
    const results = await Promise.allSettled(['a', 'b', 'c'].map((x) => batcher.add(x)));
    assert.deepEqual(
      results.map((r) => r.status === 'rejected' && r.reason),
      [down, down, down],
    );
    assert.deepEqual(calls, [['a', 'b', 'c']]);
  });

  it('a single-item batch that fails rejects its caller without a retry', async () => {
    const boom = new Error('boom');
    const { calls, handle } = recorder(async () => {
      throw boom;
    });
    const batcher = new Batcher(handle, 100);
    await assert.rejects(batcher.add('only'), (err) => err === boom);
    assert.deepEqual(calls, [['only']]);
  });

  it('a single-item batch with the wrong number of results rejects, naming the counts', async () => {
    const { calls, handle } = recorder(async () => []);
    const batcher = new Batcher(handle, 100);
    await assert.rejects(batcher.add('only'), {
      message: 'batch handler returned 0 results for 1 items',
    });
    assert.deepEqual(calls, [['only']]);
  });

  it('a retry that also returns the wrong number of results rejects its caller', async () => {
    // A handler that never answers one result per item must not hand callers `undefined` as a result.
    const { calls, handle } = recorder(async () => []);
    const batcher = new Batcher(handle, 100);
    const results = await Promise.allSettled(['u', 'v'].map((x) => batcher.add(x)));
    assert.deepEqual(calls, [['u', 'v'], ['u'], ['v']]);
    for (const r of results) {
      assert.equal(r.status, 'rejected', `expected a rejection, got ${JSON.stringify(r)}`);
      assert.match(String(r.reason?.message), /returned 0 results for 1 items/);
    }
  });

  it('a handler that throws synchronously is treated like a rejected batch', async () => {
    const calls: string[][] = [];
    const batcher = new Batcher<string, string>((items) => {
      calls.push(items);
      if (items.includes('bad')) throw new Error('sync');
      return Promise.resolve(items.map(upper));
    }, 100);
    const results = await Promise.allSettled(['a', 'bad'].map((x) => batcher.add(x)));
    assert.deepEqual(results[0], { status: 'fulfilled', value: 'A' });
    assert.equal((results[1] as PromiseRejectedResult).reason.message, 'sync');
    assert.deepEqual(calls, [['a', 'bad'], ['a'], ['bad']]);
  });
});

describe('Batcher: drain', () => {
  it('resolves at once when nothing is queued or running', async () => {
    const { calls, handle } = recorder();
    await new Batcher(handle, 10).drain();
    assert.deepEqual(calls, []);
  });

  it('flushes queued items without waiting for the turn to end, and waits for them', async () => {
    const { calls, handle } = recorder();
    const batcher = new Batcher(handle, 100);
    const settled: string[] = [];
    for (const x of ['a', 'b']) void batcher.add(x).then((r) => settled.push(r));
    const drained = batcher.drain();
    assert.deepEqual(calls, [['a', 'b']], 'drain starts the queued batch itself');
    await drained;
    assert.deepEqual(settled, ['A', 'B']);
    await turn();
    assert.deepEqual(calls, [['a', 'b']], 'the scheduled flush finds nothing left to do');
  });

  it('waits for an in-flight batch and for a queued one started by drain', async () => {
    const gate = deferred<void>();
    const { calls, handle } = recorder(async (items) => {
      await gate.promise;
      return items.map(upper);
    });
    const batcher = new Batcher(handle, 2);
    const pending = ['a', 'b', 'c'].map((x) => batcher.add(x)); // [a,b] starts now; [c] waits for it
    let drained = false;
    const draining = batcher.drain().then(() => (drained = true));
    assert.deepEqual(calls, [['a', 'b']], 'one batch at a time, even when drained');
    for (let i = 0; i < 5; i += 1) await turn();
    assert.equal(drained, false, 'drain must not resolve while batches are still being handled');
    gate.resolve();
    await draining;
    assert.deepEqual(calls, [['a', 'b'], ['c']]);
    assert.deepEqual(await Promise.all(pending), ['A', 'B', 'C']);
  });

  it('adds made while a batch is being handled wait, then go together into the next batch', async () => {
    const gate = deferred<void>();
    const { calls, handle } = recorder(async (items) => {
      if (calls.length === 1) await gate.promise;
      return items.map(upper);
    });
    const batcher = new Batcher(handle, 100);
    const first = batcher.add('a');
    await turn();
    const later = ['b', 'c', 'd'].map((x) => batcher.add(x));
    for (let i = 0; i < 3; i += 1) await turn();
    assert.deepEqual(calls, [['a']], 'no second batch while the first is still being handled');
    gate.resolve();
    assert.deepEqual(await Promise.all([first, ...later]), ['A', 'B', 'C', 'D']);
    assert.deepEqual(calls, [['a'], ['b', 'c', 'd']]);
  });

  it('waits for the per-item retries of a failed batch', async () => {
    const gate = deferred<void>();
    const { handle } = recorder(async (items) => {
      if (items.length > 1) throw new Error('batch failed');
      await gate.promise;
      return items.map(upper);
    });
    const batcher = new Batcher(handle, 100);
    const settled: string[] = [];
    for (const x of ['a', 'b']) void batcher.add(x).then((r) => settled.push(r));
    await turn(); // the batch has failed and the retries are waiting on the gate
    let drained = false;
    const draining = batcher.drain().then(() => (drained = true));
    for (let i = 0; i < 5; i += 1) await turn();
    assert.equal(drained, false);
    gate.resolve();
    await draining;
    assert.deepEqual(settled, ['A', 'B']);
  });
});

describe('Batcher: no unhandled rejections', () => {
  it('failed batches and retries leave no unhandled rejection behind', async () => {
    const batcher = new Batcher<string, string>(async (items) => {
      if (items.some((x) => x.startsWith('bad'))) throw new Error('bad');
      return items.map(upper);
    }, 2);
    const results = await Promise.allSettled(
      ['bad1', 'ok', 'bad2', 'ok2', 'bad3'].map((x) => batcher.add(x)),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected'],
    );
    await batcher.drain();
    for (let i = 0; i < 3; i += 1) await turn();
    assert.deepEqual(unhandled, [], 'no test in this file caused an unhandled rejection');
  });
});

describe('Batcher in KyselyStore on SQLite: multi-row message inserts', () => {
  let dir: string;
  let store: KyselyStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-batcher-'));
    const dialect = createSqliteDialect(join(dir, 'parley.db'));
    await migrateToLatest(dialect);
    store = new KyselyStore(dialect);
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const newUser = (name: string): NewUser => ({
    name,
    username: `${name}_${randomUUID().slice(0, 8)}`,
    email: `${name}.${randomUUID().slice(0, 8)}@example.test`,
    role: 'customer',
    passwordHash: '$hash$',
    createdAt: new Date(),
  });

  it('250 inserts in one turn: distinct ids increasing in call order, each naming its own row', async () => {
    const alice = await store.createUser(newUser('alice'));
    const bob = await store.createUser(newUser('bob'));
    const inputs = Array.from({ length: 250 }, (_, i) => ({
      senderId: i % 3 === 0 ? bob.id : alice.id,
      receiverId: i % 3 === 0 ? alice.id : bob.id,
      content: `message #${i} ${'x'.repeat(i % 7)}`,
      sentAt: new Date(Date.UTC(2024, 0, 1) + i),
    }));
    const inserted = await Promise.all(inputs.map((m) => store.insertMessage(m)));

    assert.equal(inserted.length, 250);
    assert.equal(new Set(inserted.map((m) => m.id)).size, 250, 'ids are distinct');
    for (const [i, m] of inserted.entries()) {
      assert.match(m.id, /^\d+$/);
      assert.equal(m.conversationId, inserted[0]?.conversationId, 'one conversation for the pair');
      assert.deepEqual(m, { id: m.id, conversationId: m.conversationId, ...inputs[i], readAt: null });
      if (i > 0) assert.ok(BigInt(m.id) > BigInt(inserted[i - 1]!.id), `id of call ${i} should be larger`);
    }
    const found = await Promise.all(inserted.map((m) => store.findMessage(m.id)));
    for (const [i, row] of found.entries()) {
      const { id, conversationId } = inserted[i]!;
      assert.deepEqual(row, { id, conversationId, ...inputs[i], readAt: null }, `row of call ${i}`);
    }
  });
});
