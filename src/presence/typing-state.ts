export interface TypingEntry {
  typistId: string;
  receiverId: string;
}

/**
 * Who is typing to whom, each state expiring on its own.
 *
 * Contract (checked by test/contract/typing-state-contract.ts on every implementation):
 * - `start` marks `typistId` as typing to `receiverId` until `ttlMs` from now; starting again re-arms it.
 * - `stop` ends one state and resolves whether it was active; `stopAll` ends every state of a typist and
 *   resolves the receivers that were active.
 * - `expired` removes the states whose time has passed and resolves them; when processes share an
 *   implementation, each expired state is returned to exactly one caller.
 */
export interface TypingState {
  start(typistId: string, receiverId: string, ttlMs: number): Promise<void>;
  stop(typistId: string, receiverId: string): Promise<boolean>;
  stopAll(typistId: string): Promise<string[]>;
  expired(): Promise<TypingEntry[]>;
  close(): Promise<void>;
}
