import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { assertNoHandleLeft, liveHandles, within } from './lifecycle.js';
import type { TypingEntry, TypingState } from '../../src/presence/typing-state.js';

export interface OpenedTypingState {
  state: TypingState;
  close(): Promise<void>;
}

/** Short enough to wait out; LAPSE is comfortably past it. */
const SHORT = 100;
const LAPSE = 250;
const LONG = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const key = (e: TypingEntry) => `${e.typistId}>${e.conversationId}`;
const sorted = (entries: TypingEntry[]) => entries.map(key).sort();
/** Five fresh user ids; destructure as many as needed. */
const ids = (): [string, string, string, string, string] => [
  randomUUID(),
  randomUUID(),
  randomUUID(),
  randomUUID(),
  randomUUID(),
];
const entry = (typistId: string, conversationId: string): TypingEntry => ({ typistId, conversationId });

/**
 * The `TypingState` contract (src/presence/typing-state.ts), written once and run on every implementation.
 * Each test uses fresh ids, so implementations may share state between tests of one suite; `expired()`
 * results are filtered to the test's own typists.
 */
export function typingStateContract(name: string, open: () => Promise<OpenedTypingState>): void {
  describe(`TypingState contract: ${name}`, () => {
    let opened: OpenedTypingState;
    let state: TypingState;

    /** The expired states among the given typists. */
    const expiredOf = async (...typists: string[]) =>
      sorted((await state.expired()).filter((e) => typists.includes(e.typistId)));

    before(async () => {
      opened = await open();
      state = opened.state;
    });
    after(() => opened?.close());

    it('stop ends an active state and resolves true, then false', async () => {
      const [a, b] = ids();
      assert.equal(await state.stop(a, b), false, 'never started');
      await state.start(a, b, LONG);
      assert.equal(await state.stop(b, a), false, 'the reverse direction is another state');
      assert.equal(await state.stop(a, b), true);
      assert.equal(await state.stop(a, b), false, 'already stopped');
      await state.start(a, b, LONG);
      assert.equal(await state.stop(a, b), true, 'a stopped state can start again');
    });

    it('starting again while active keeps one state', async () => {
      const [a, b] = ids();
      await state.start(a, b, LONG);
      await state.start(a, b, LONG);
      assert.equal(await state.stop(a, b), true);
      assert.equal(await state.stop(a, b), false, 'one stop ends it');
      await state.start(a, b, LONG);
      await state.start(a, b, LONG);
      assert.deepEqual(await state.stopAll(a), [b], 'listed once');
    });

    it('stopAll ends every state of the typist and resolves its active conversations', async () => {
      const [a, b, c, d] = ids();
      assert.deepEqual(await state.stopAll(a), [], 'nothing to stop');
      await state.start(a, b, LONG);
      await state.start(a, c, LONG);
      await state.start(a, d, LONG);
      await state.stop(a, d);
      assert.deepEqual((await state.stopAll(a)).sort(), [b, c].sort());
      assert.deepEqual(await state.stopAll(a), [], 'a second stopAll finds nothing');
      assert.equal(await state.stop(a, b), false);
      assert.equal(await state.stop(a, c), false);
      await state.start(a, b, LONG);
      assert.equal(await state.stop(a, b), true, 'the typist can start again');
    });

    it('stopAll only affects that typist', async () => {
      const [a, b, c, x] = ids();
      await state.start(a, b, LONG);
      await state.start(c, b, LONG); // another typist to the same conversation
      await state.start(b, a, LONG); // the conversation typing back
      await state.start(x, a, LONG);
      assert.deepEqual(await state.stopAll(a), [b]);
      assert.equal(await state.stop(c, b), true);
      assert.equal(await state.stop(b, a), true);
      assert.deepEqual(await state.stopAll(x), [a]);
    });

    it('expired returns lapsed states exactly once, and only lapsed ones', async () => {
      const [a, b, c, d, e] = ids();
      // Long enough that four starts and a check fit inside it even on a slow backend.
      const ttl = 1000;
      const startedAt = Date.now();
      await state.start(a, b, ttl);
      await state.start(a, c, ttl);
      await state.start(d, b, ttl);
      await state.start(a, e, LONG);
      assert.deepEqual(await expiredOf(a, d), [], 'nothing has lapsed yet');
      assert.ok(Date.now() - startedAt < ttl, 'the check ran before the ttl passed');
      // Each poll returns what lapsed since the last; together, each lapsed state once.
      const want = sorted([entry(a, b), entry(a, c), entry(d, b)]);
      const got: string[] = [];
      const deadline = Date.now() + ttl + 5000;
      while (got.length < want.length && Date.now() < deadline) {
        got.push(...(await expiredOf(a, d)));
        await sleep(20);
      }
      assert.deepEqual(got.sort(), want);
      assert.deepEqual(await expiredOf(a, d), [], 'each lapsed state is returned once');
      // Returned states are gone; the active one is untouched.
      assert.equal(await state.stop(a, b), false);
      assert.deepEqual(await state.stopAll(d), []);
      assert.deepEqual(await state.stopAll(a), [e]);
    });

    it('a second start re-arms the state from now, with the new ttl', async () => {
      const [a, b, c] = ids();
      await state.start(a, b, SHORT);
      await state.start(a, b, LONG); // extended: must not lapse
      await state.start(a, c, LONG);
      await state.start(a, c, SHORT); // shortened: lapses
      await sleep(LAPSE);
      assert.deepEqual(await expiredOf(a), [key(entry(a, c))]);
      assert.equal(await state.stop(a, b), true, 'the re-armed state is still active');
    });

    it('a state re-armed after lapsing but before expired() is not reported', async () => {
      const [a, b] = ids();
      await state.start(a, b, SHORT);
      await sleep(LAPSE);
      await state.start(a, b, LONG);
      assert.deepEqual(await expiredOf(a), []);
      assert.equal(await state.stop(a, b), true);
    });

    it('stopped states never come back from expired()', async () => {
      const [a, b, c, d] = ids();
      await state.start(a, b, SHORT);
      await state.start(c, b, SHORT);
      await state.start(c, d, SHORT);
      await state.stop(a, b);
      await state.stopAll(c);
      await sleep(LAPSE);
      assert.deepEqual(await expiredOf(a, c), []);
      assert.deepEqual(await expiredOf(a, c), []);
    });

    it('stopAll still finds a long state after a shorter one of the same typist lapsed', async () => {
      const [a, b, c] = ids();
      await state.start(a, b, LONG);
      await state.start(a, c, SHORT);
      await sleep(LAPSE);
      assert.deepEqual(await expiredOf(a), [key(entry(a, c))]);
      assert.deepEqual(await state.stopAll(a), [b]);
    });

    it('close settles promptly, twice, and leaves nothing holding the process open', async () => {
      const baseline = liveHandles();
      const other = await open();
      await other.state.start(randomUUID(), randomUUID(), LONG);
      await within(other.state.close(), 2000, 'close');
      await within(other.state.close(), 2000, 'a second close');
      await other.close();
      await assertNoHandleLeft(baseline);
    });
  });
}
