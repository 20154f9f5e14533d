/**
 * Who is online, counted per connection: a user is online while at least one of their connections is.
 *
 * Contract (checked by test/contract/presence-contract.ts on every implementation):
 * - `connect` resolves `true` exactly when the user had no live connection before it (came online);
 *   `disconnect` resolves `true` exactly when it removed the user's last one (went offline). Both are
 *   atomic: concurrent calls for one user never both report the same transition.
 * - Connecting an already-known connection id again changes nothing and resolves `false`;
 *   disconnecting an unknown one resolves `false`.
 * - `onlineUserIds` lists each online user once, in no particular order; `onlineAmong(ids)` keeps those of
 *   `ids` who are online, in the order given.
 * - Entries of a process that died without disconnecting expire (shared implementations keep them alive
 *   by refreshing while the process runs). `expire` removes users left with no live connection and
 *   resolves their ids; across processes, each such user is reported to exactly one caller, so exactly
 *   one `user_offline` is emitted. A single-process implementation has nothing to expire.
 */
export interface Presence {
  connect(userId: string, connectionId: string): Promise<boolean>;
  disconnect(userId: string, connectionId: string): Promise<boolean>;
  onlineUserIds(): Promise<string[]>;
  onlineAmong(userIds: readonly string[]): Promise<string[]>;
  isOnline(userId: string): Promise<boolean>;
  expire(): Promise<string[]>;
  close(): Promise<void>;
}
