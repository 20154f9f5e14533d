export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** One JSON request; `body` is sent as JSON unless it is a string (sent raw). */
export async function http<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(new URL(path, baseUrl), { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: leave as text so the assertion shows it
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

let counter = 0;

export interface Registered {
  token: string;
  user: { _id: string; name: string; username: string; email: string; role: string; lastSeen: string | null };
  password: string;
}

/** Registers a user with unique username and email; `overrides` replace any field. */
export async function registerUser(
  baseUrl: string,
  overrides: Record<string, unknown> = {},
): Promise<Registered> {
  counter += 1;
  const tag = `${process.pid}${counter}${Math.random().toString(36).slice(2, 6)}`;
  const password = 'correct horse battery';
  const res = await http(baseUrl, 'POST', '/api/auth/register', {
    body: {
      name: `User ${tag}`,
      username: `user_${tag}`,
      email: `user_${tag}@example.test`,
      password,
      ...overrides,
    },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body, password: (overrides.password as string) ?? password };
}
