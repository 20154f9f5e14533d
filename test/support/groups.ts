import assert from 'node:assert/strict';
import type { WireConversation } from '../../src/protocol/outputs.js';
import { http, registerUser, type Registered } from './http.js';
import { connectClient, sleep, type TestClient } from './socket.js';

type Eight<T> = [T, T, T, T, T, T, T, T];

/** Helpers for the group suites: users with sockets, REST calls, creating a group. */
export class GroupWorld {
  readonly clients: TestClient[] = [];

  constructor(readonly url: () => string) {}

  /** `n` (at most 8) new users; typed as a tuple so that destructuring them needs no checks. */
  async users(n: number): Promise<Eight<Registered>> {
    const users = await Promise.all(Array.from({ length: n }, () => registerUser(this.url())));
    return users as unknown as Eight<Registered>;
  }

  async connect(user: Registered): Promise<TestClient> {
    const client = await connectClient(this.url(), user.token);
    this.clients.push(client);
    // Its `online_users` came after the group rooms were looked up and joined (see socket-server.ts).
    await client.next('online_users');
    return client;
  }

  rest(user: Registered, method: string, path: string, body?: unknown) {
    return http(this.url(), method, path, { token: user.token, ...(body === undefined ? {} : { body }) });
  }

  /** Creates a group over REST (201) of `owner` and `members`. */
  async group(owner: Registered, members: Registered[], title = 'Team'): Promise<WireConversation> {
    const res = await this.rest(owner, 'POST', '/api/conversations', {
      type: 'group',
      title,
      memberIds: members.map((m) => m.user._id),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.conversation;
  }

  closeAll(): void {
    for (const c of this.clients.splice(0)) c.close();
  }
}

/** Waits a little, then asserts `client` got no `event` matching `match` that `next` has not taken. */
export async function nothingMore(
  client: TestClient,
  event: string,
  match: (payload: any) => boolean = () => true,
  waitMs = 300,
): Promise<void> {
  await sleep(waitMs);
  const got = client.untaken(event).filter(match);
  assert.deepEqual(got, [], `unexpected ${event}`);
}
