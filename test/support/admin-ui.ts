import { io } from 'socket.io-client';

/**
 * Logs in to the Socket.IO admin UI's namespace (`/admin`) as the admin UI page does: resolves
 * `'connected'`, the `connect_error` message, or `'no answer'` when the server says nothing within
 * `timeoutMs`.
 */
export const adminLogin = (url: string, auth: Record<string, unknown>, timeoutMs = 5000) =>
  new Promise<string>((resolve) => {
    const socket = io(`${url}/admin`, {
      auth,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const done = (outcome: string) => {
      clearTimeout(timer);
      socket.close();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('no answer'), timeoutMs);
    socket.once('connect', () => done('connected'));
    socket.once('connect_error', (err) => done(err.message));
  });

/**
 * Records the process's unhandled promise rejections while installed (the listener also keeps them from
 * ending the process, so a test can report them instead of dying).
 */
export function recordUnhandledRejections(): { seen: unknown[]; stop(): void } {
  const seen: unknown[] = [];
  const record = (reason: unknown) => void seen.push(reason);
  process.on('unhandledRejection', record);
  return { seen, stop: () => void process.off('unhandledRejection', record) };
}
