export interface TypingEntry {
  typistId: string;
  conversationId: string;
}

/**
 * Who is typing in which conversation, each state expiring on its own.
 *
 * Contract (checked by test/contract/typing-state-contract.ts on every implementation):
 * - `start` marks `typistId` as typing in `conversationId` until `ttlMs` from now; starting again re-arms it.
 * - `stop` ends one state and resolves whether it was active; `stopAll` ends every state of a typist and
 *   resolves the conversations that were active.
 * - `expired` removes the states whose time has passed and resolves them; when processes share an
 *   implementation, each expired state is returned to exactly one caller.
 */
export interface TypingState {
  start(typistId: string, conversationId: string, ttlMs: number): Promise<void>;
  stop(typistId: string, conversationId: string): Promise<boolean>;
  stopAll(typistId: string): Promise<string[]>;
  expired(): Promise<TypingEntry[]>;
  close(): Promise<void>;
}
