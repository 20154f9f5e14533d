import type { Server, Socket } from 'socket.io';
import type { User } from '../../domain/types.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol/events.js';

export interface SocketData {
  user: User;
  /** When the handshake's token expires (ms since the epoch); the socket is disconnected then. */
  expiresAt?: number;
}

export type ParleyServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
export type ParleySocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

/** The room that holds every socket of one user, on every process. */
export const userRoom = (userId: string): string => `user:${userId}`;

/**
 * The room of a group: every socket of every member, on every process. Sockets join it on connect and
 * when their user is added, and leave it when their user leaves or is removed (`socket-publisher.ts`).
 */
export const conversationRoom = (conversationId: string): string => `c:${conversationId}`;
