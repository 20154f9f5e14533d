import { ParleyError } from './errors.js';
import type { OwnWireUser } from './protocol.js';

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

async function postJson<T>(baseUrl: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(new URL(path, baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = (await res.json().catch(() => undefined)) as { message?: unknown } | undefined;
  if (!res.ok) {
    const message = typeof data?.message === 'string' ? data.message : `HTTP ${res.status}`;
    throw new ParleyError(message, path, res.status);
  }
  return data as T;
}
