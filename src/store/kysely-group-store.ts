import type { Kysely } from 'kysely';
import type { ConversationView, MemberRole, Message, MessageReceipts } from '../domain/types.js';
import type { StoreDialect } from './dialect.js';
import * as queries from './group-queries.js';
import type { GroupStore, Membership, MembershipRule, NewGroup } from './group-store.js';
import * as writes from './group-writes.js';
import type { Database } from './schema.js';

/**
 * `GroupStore` over the Kysely store's database (SQLite or PostgreSQL).
 *
 * @example const groups = new KyselyGroupStore(dialect.db, dialect);
 */
export class KyselyGroupStore implements GroupStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: StoreDialect,
  ) {}

  create(group: NewGroup): Promise<string> {
    return writes.createGroup(this.db, this.dialect, group);
  }

  rename(conversationId: string, actorId: string, title: string, rule: MembershipRule): Promise<boolean> {
    return writes.renameGroup(this.db, this.dialect, conversationId, actorId, title, rule);
  }

  addMembers(
    conversationId: string,
    actorId: string,
    userIds: readonly string[],
    options: { now: Date; max: number; rule: MembershipRule },
  ): Promise<string[]> {
    return writes.addMembers(this.db, this.dialect, conversationId, actorId, userIds, options);
  }

  removeMember(conversationId: string, actorId: string, targetId: string, rule: MembershipRule) {
    return writes.removeMember(this.db, this.dialect, conversationId, actorId, targetId, rule);
  }

  setMemberRole(
    conversationId: string,
    actorId: string,
    targetId: string,
    role: MemberRole,
    rule: MembershipRule,
  ): Promise<string[]> {
    return writes.setMemberRole(this.db, this.dialect, conversationId, actorId, targetId, role, rule);
  }

  groupIdsOf(userId: string): Promise<string[]> {
    return queries.groupIdsOf(this.db, userId);
  }

  membership(conversationId: string, userId: string): Promise<Membership | undefined> {
    return queries.membership(this.db, conversationId, userId);
  }

  neutralView(conversationId: string): Promise<ConversationView | undefined> {
    return queries.neutralView(this.db, conversationId);
  }

  receipts(message: Message): Promise<MessageReceipts> {
    return queries.receipts(this.db, message);
  }
}
