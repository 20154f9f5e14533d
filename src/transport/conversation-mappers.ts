import type { ConversationMember, ConversationView, MessageReceipts, ReadState } from '../domain/types.js';
import type {
  ConversationPayload,
  ConversationsPayload,
  GroupChangedPayload,
  MarkConversationReadPayload,
  MembersPayload,
  ReceiptsPayload,
} from '../protocol/outputs.js';
import { toWireConversation, toWireMember } from '../protocol/wire.js';

/** Conversation results → the answers both transports give (REST bodies, socket replies and acks). */

export const toConversationsPayload = (page: {
  conversations: ConversationView[];
  nextCursor: string | null;
}): ConversationsPayload => ({
  conversations: page.conversations.map((c) => toWireConversation(c)),
  nextCursor: page.nextCursor,
});

export const toConversationPayload = (view: ConversationView): ConversationPayload => ({
  conversation: toWireConversation(view),
});

export const toMembersPayload = (page: {
  members: ConversationMember[];
  nextCursor: string | null;
}): MembersPayload => ({ members: page.members.map(toWireMember), nextCursor: page.nextCursor });

export const toMarkReadPayload = (state: ReadState): MarkConversationReadPayload => ({
  success: true,
  conversationId: state.conversationId,
  lastReadMessageId: state.lastReadMessageId,
  unreadCount: state.unreadCount,
});

export const toGroupChangedPayload = (view: ConversationView): GroupChangedPayload => ({
  success: true,
  conversation: toWireConversation(view),
});

/** Until delivery cursors exist, a message counts as received by whoever has read it. */
export const toReceiptsPayload = (receipts: MessageReceipts): ReceiptsPayload => ({
  messageId: receipts.messageId,
  readBy: receipts.readBy.map((r) => ({ userId: r.userId, readAt: r.readAt.toISOString() })),
  deliveredTo: receipts.readBy.map((r) => ({ userId: r.userId, deliveredAt: r.readAt.toISOString() })),
});
