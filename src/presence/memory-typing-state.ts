import type { TypingEntry, TypingState } from './typing-state.js';

/**
 * Typing states of a single process, in a map.
 *
 * @example const typing = new MemoryTypingState(); await typing.start('u1', 'u2', 5000);
 */
export class MemoryTypingState implements TypingState {
  /** typist id → receiver id → expiry (epoch ms) */
  private readonly states = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  async start(typistId: string, receiverId: string, ttlMs: number): Promise<void> {
    let receivers = this.states.get(typistId);
    if (!receivers) this.states.set(typistId, (receivers = new Map()));
    receivers.set(receiverId, this.now() + ttlMs);
  }

  async stop(typistId: string, receiverId: string): Promise<boolean> {
    const receivers = this.states.get(typistId);
    if (!receivers?.delete(receiverId)) return false;
    if (receivers.size === 0) this.states.delete(typistId);
    return true;
  }

  async stopAll(typistId: string): Promise<string[]> {
    const receivers = this.states.get(typistId);
    this.states.delete(typistId);
    return receivers ? [...receivers.keys()] : [];
  }

  async expired(): Promise<TypingEntry[]> {
    const now = this.now();
    const out: TypingEntry[] = [];
    for (const [typistId, receivers] of this.states) {
      for (const [receiverId, expiresAt] of receivers) {
        if (expiresAt > now) continue;
        receivers.delete(receiverId);
        out.push({ typistId, receiverId });
      }
      if (receivers.size === 0) this.states.delete(typistId);
    }
    return out;
  }

  async close(): Promise<void> {
    this.states.clear();
  }
}
