import type { TypingEntry, TypingState } from './typing-state.js';

/**
 * Typing states of a single process, in a map.
 *
 * @example const typing = new MemoryTypingState(); await typing.start('u1', 'u2', 5000);
 */
export class MemoryTypingState implements TypingState {
  /** typist id → conversation id → expiry (epoch ms) */
  private readonly states = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  async start(typistId: string, conversationId: string, ttlMs: number): Promise<void> {
    let conversations = this.states.get(typistId);
    if (!conversations) this.states.set(typistId, (conversations = new Map()));
    conversations.set(conversationId, this.now() + ttlMs);
  }

  async stop(typistId: string, conversationId: string): Promise<boolean> {
    const conversations = this.states.get(typistId);
    if (!conversations?.delete(conversationId)) return false;
    if (conversations.size === 0) this.states.delete(typistId);
    return true;
  }

  async stopAll(typistId: string): Promise<string[]> {
    const conversations = this.states.get(typistId);
    this.states.delete(typistId);
    return conversations ? [...conversations.keys()] : [];
  }

  async expired(): Promise<TypingEntry[]> {
    const now = this.now();
    const out: TypingEntry[] = [];
    for (const [typistId, conversations] of this.states) {
      for (const [conversationId, expiresAt] of conversations) {
        if (expiresAt > now) continue;
        conversations.delete(conversationId);
        out.push({ typistId, conversationId });
      }
      if (conversations.size === 0) this.states.delete(typistId);
    }
    return out;
  }

  async close(): Promise<void> {
    this.states.clear();
  }
}
