import type { z } from 'zod';
import type * as In from './inputs.js';
import type * as Out from './outputs.js';

/** Server → client events, typed from the output schemas. */
export interface ServerToClientEvents {
  connection: (payload: Out.ConnectionPayload) => void;
  online_users: (payload: Out.OnlineUser[]) => void;
  user_online: (payload: Out.UserOnlinePayload) => void;
  user_offline: (payload: Out.UserOfflinePayload) => void;
  message_sent: (payload: Out.MessageSentPayload) => void;
  receive_message: (payload: Out.WireMessage) => void;
  message_read: (payload: Out.MessageReadPayload) => void;
  message_read_confirmed: (payload: Out.MessageSentPayload) => void;
  typing_indicator: (payload: Out.TypingIndicatorPayload) => void;
  message_history: (payload: Out.MessageHistoryPayload) => void;
  unread_count: (payload: Out.UnreadCountPayload) => void;
  missed_messages: (payload: Out.MissedMessagesPayload) => void;
  message_notification: (payload: Out.MessageNotificationPayload) => void;
  conversations: (payload: Out.ConversationsPayload) => void;
  conversation: (payload: Out.ConversationPayload) => void;
  conversation_read: (payload: Out.ConversationReadPayload) => void;
  conversation_updated: (payload: Out.ConversationUpdatedPayload) => void;
  error: (payload: Out.ErrorPayload) => void;
}

type Ack<T> = (response: T | Out.AckErrorPayload) => void;

/** Client → server events: the payload a client sends and what its optional acknowledgement receives. */
export interface ClientToServerEvents {
  send_message: (payload: In.SendMessageRequest, ack?: Ack<Out.MessageSentPayload>) => void;
  mark_message_read: (
    payload: z.input<typeof In.markMessageReadInput>,
    ack?: Ack<Out.MessageSentPayload>,
  ) => void;
  typing_start: (payload: In.TypingRequest, ack?: Ack<{ success: true }>) => void;
  typing_stop: (payload: In.TypingRequest, ack?: Ack<{ success: true }>) => void;
  get_message_history: (payload: In.HistoryRequest, ack?: Ack<Out.MessageHistoryPayload>) => void;
  get_unread_count: (ack?: Ack<Out.UnreadCountPayload>) => void;
  sync: (payload?: z.input<typeof In.syncInput>, ack?: Ack<Out.MissedMessagesPayload>) => void;
  get_conversations: (
    payload?: z.input<typeof In.conversationsInput>,
    ack?: Ack<Out.ConversationsPayload>,
  ) => void;
  get_conversation: (
    payload: z.input<typeof In.conversationIdInput>,
    ack?: Ack<Out.ConversationPayload>,
  ) => void;
  open_direct: (payload: z.input<typeof In.openDirectInput>, ack?: Ack<Out.ConversationPayload>) => void;
  mark_conversation_read: (
    payload: z.input<typeof In.markConversationReadInput>,
    ack?: Ack<Out.MarkConversationReadPayload>,
  ) => void;
  create_group: (payload: z.input<typeof In.createGroupInput>, ack?: Ack<Out.ConversationPayload>) => void;
  update_conversation: (
    payload: z.input<typeof In.updateConversationInput>,
    ack?: Ack<Out.GroupChangedPayload>,
  ) => void;
  add_members: (payload: z.input<typeof In.addMembersInput>, ack?: Ack<Out.GroupChangedPayload>) => void;
  remove_member: (payload: z.input<typeof In.removeMemberInput>, ack?: Ack<Out.GroupChangedPayload>) => void;
  set_member_role: (
    payload: z.input<typeof In.setMemberRoleInput>,
    ack?: Ack<Out.GroupChangedPayload>,
  ) => void;
}

export type ServerEventName = keyof ServerToClientEvents;
export type ServerPayload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];
export type ClientEventName = keyof ClientToServerEvents;
