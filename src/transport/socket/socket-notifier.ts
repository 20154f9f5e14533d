import type { ServerEventName, ServerPayload } from '../../protocol/events.js';
import type { Notifier } from '../../services/ports.js';
import { userRoom, type ParleyServer } from './socket-types.js';

/**
 * Emits to per-user rooms. The Socket.IO adapter (in memory, or Redis when scaled out) carries each emit
 * to the sockets of that room on every process, so no socket lookup happens on the message path.
 */
export class SocketNotifier implements Notifier {
  constructor(private readonly io: ParleyServer) {}

  toUser<E extends ServerEventName>(userId: string, event: E, payload: ServerPayload<E>): void {
    // The typed emit cannot follow a generic event name; the payload type is checked at the call site.
    (this.io.to(userRoom(userId)).emit as (e: string, p: unknown) => void)(event, payload);
  }

  toUsers<E extends ServerEventName>(userIds: readonly string[], event: E, payload: ServerPayload<E>): void {
    if (userIds.length === 0) return;
    (this.io.to(userIds.map(userRoom)).emit as (e: string, p: unknown) => void)(event, payload);
  }

  broadcast<E extends ServerEventName>(event: E, payload: ServerPayload<E>, exceptUserId?: string): void {
    const target = exceptUserId ? this.io.except(userRoom(exceptUserId)) : this.io;
    (target.emit as (e: string, p: unknown) => void)(event, payload);
  }
}
