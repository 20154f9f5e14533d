import type { Presence } from './presence.js';

/**
 * Presence for a single process: connections counted in a map. Complete for one process; with several
 * processes use the Redis implementation.
 *
 * @example const presence = new MemoryPresence(); await presence.connect('u1', 'socket-1'); // true
 */
export class MemoryPresence implements Presence {
  private readonly connections = new Map<string, Set<string>>();

  async connect(userId: string, connectionId: string): Promise<boolean> {
    const set = this.connections.get(userId);
    if (set) {
      set.add(connectionId);
      return false;
    }
    this.connections.set(userId, new Set([connectionId]));
    return true;
  }

  async disconnect(userId: string, connectionId: string): Promise<boolean> {
    const set = this.connections.get(userId);
    if (!set || !set.delete(connectionId)) return false;
    if (set.size > 0) return false;
    this.connections.delete(userId);
    return true;
  }

  async onlineUserIds(): Promise<string[]> {
    return [...this.connections.keys()];
  }

  async onlineAmong(userIds: readonly string[]): Promise<string[]> {
    return userIds.filter((id) => this.connections.has(id));
  }

  async isOnline(userId: string): Promise<boolean> {
    return this.connections.has(userId);
  }

  /** Connections of one process cannot outlive it: nothing ever expires. */
  async expire(): Promise<string[]> {
    return [];
  }

  async close(): Promise<void> {
    this.connections.clear();
  }
}
