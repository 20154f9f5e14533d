import { ParleyError } from './errors.js';
import type {
  ConversationMemberPayload,
  ConversationPayload,
  ConversationsPayload,
  GroupChangedPayload,
  MembersPayload,
  OwnWireUser,
  ReceiptsPayload,
  WireConversation,
} from './protocol.js';

/** Registering and signing in over REST: the token to connect with. */

export interface AuthResult {
  token: string;
  /** The user themselves, with their email. */
  user: OwnWireUser;
}

export interface RegisterRequest {
  name: string;
  username: string;
  email: string;
  password: string;
  role?: string;
}

export type LoginRequest = { password: string } & ({ username: string } | { email: string });

/** `POST /api/auth/register`; a refusal throws ParleyError with the server's message and status. */
export function register(baseUrl: string, input: RegisterRequest): Promise<AuthResult> {
  return postJson(baseUrl, '/api/auth/register', input);
}

/** `POST /api/auth/login`. */
export function login(baseUrl: string, input: LoginRequest): Promise<AuthResult> {
  return postJson(baseUrl, '/api/auth/login', input);
}

/**
 * REST calls with a token, for servers, scripts and pages that do not keep a socket open: the inbox and
 * group changes, with the same answers as the socket helpers (real-time events go out all the same), and
 * read receipts. A refusal throws ParleyError with the server's message and the HTTP status.
 *
 * @example
 * const api = new ParleyRest('http://localhost:3000', token);
 * const group = await api.createGroup('Design', [bobId, carolId]);
 * await api.removeMember(group._id, carolId);
 */
export class ParleyRest {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  /** `GET /api/conversations`: one page of the inbox, newest activity first. */
  conversations({ limit, cursor }: { limit?: number; cursor?: string } = {}): Promise<ConversationsPayload> {
    const qs = pageQuery(limit, cursor);
    return this.request('GET', `/api/conversations${qs}`);
  }

  /** `GET /api/conversations/:id`. */
  async conversation(conversationId: string): Promise<WireConversation> {
    return (await this.request<ConversationPayload>('GET', `/api/conversations/${enc(conversationId)}`))
      .conversation;
  }

  /** `GET /api/conversations/:id/members`: members in joining order, paged by `nextCursor`. */
  members(
    conversationId: string,
    { limit, cursor }: { limit?: number; cursor?: string } = {},
  ): Promise<MembersPayload> {
    const qs = pageQuery(limit, cursor);
    return this.request('GET', `/api/conversations/${enc(conversationId)}/members${qs}`);
  }

  /** `POST /api/conversations {type: 'group', title, memberIds}` (`201`): the caller becomes the owner. */
  async createGroup(title: string, memberIds: string[] = []): Promise<WireConversation> {
    return (
      await this.request<ConversationPayload>('POST', '/api/conversations', {
        type: 'group',
        title,
        memberIds,
      })
    ).conversation;
  }

  /** `PATCH /api/conversations/:id {title}` (owner, admin). */
  async renameGroup(conversationId: string, title: string): Promise<WireConversation> {
    return (
      await this.request<GroupChangedPayload>('PATCH', `/api/conversations/${enc(conversationId)}`, { title })
    ).conversation;
  }

  /** `POST /api/conversations/:id/members {userIds}` (owner, admin). */
  async addMembers(conversationId: string, userIds: string[]): Promise<WireConversation> {
    return (
      await this.request<GroupChangedPayload>('POST', `/api/conversations/${enc(conversationId)}/members`, {
        userIds,
      })
    ).conversation;
  }

  /** `DELETE /api/conversations/:id/members/:userId`: removes a member, or with one's own id leaves. */
  async removeMember(conversationId: string, userId: string): Promise<WireConversation> {
    return (
      await this.request<GroupChangedPayload>(
        'DELETE',
        `/api/conversations/${enc(conversationId)}/members/${enc(userId)}`,
      )
    ).conversation;
  }

  /** `PATCH /api/conversations/:id/members/:userId {role}` (owner; `owner` hands ownership over). */
  async setMemberRole(
    conversationId: string,
    userId: string,
    role: ConversationMemberPayload['role'],
  ): Promise<WireConversation> {
    return (
      await this.request<GroupChangedPayload>(
        'PATCH',
        `/api/conversations/${enc(conversationId)}/members/${enc(userId)}`,
        { role },
      )
    ).conversation;
  }

  /** `GET /api/messages/:id/receipts`: for a message the caller sent, who has read and received it. */
  receipts(messageId: string): Promise<ReceiptsPayload> {
    return this.request('GET', `/api/messages/${enc(messageId)}/receipts`);
  }

  /** Any other route: `body` as JSON, the answer parsed; a refusal throws ParleyError. */
  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return requestJson(this.baseUrl, method, path, body, this.token);
  }
}

const enc = encodeURIComponent;

function pageQuery(limit: number | undefined, cursor: string | undefined): string {
  const query = new URLSearchParams();
  if (limit !== undefined) query.set('limit', String(limit));
  if (cursor) query.set('cursor', cursor);
  const text = query.toString();
  return text ? `?${text}` : '';
}

function postJson<T>(baseUrl: string, path: string, body: unknown): Promise<T> {
  return requestJson(baseUrl, 'POST', path, body);
}

async function requestJson<T>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json().catch(() => undefined)) as { message?: unknown } | undefined;
  if (!res.ok) {
    const message = typeof data?.message === 'string' ? data.message : `HTTP ${res.status}`;
    throw new ParleyError(message, path.split('?')[0]!, res.status);
  }
  return data as T;
}
