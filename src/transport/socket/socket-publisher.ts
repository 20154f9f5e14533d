import type { User } from '../../domain/types.js';
import type { ServerEventName, ServerPayload } from '../../protocol/events.js';
import { preview, toConversationRead, toWireConversation, toWireMessage } from '../../protocol/wire.js';
import type { DomainEventName, DomainEvents, EventSource } from '../../services/event-bus.js';
import { conversationRoom, userRoom, type ParleyServer } from './socket-types.js';

/**
 * Emits to per-user rooms. The Socket.IO adapter (in memory, or Redis when scaled out) carries each emit
 * to the sockets of that room on every process, so no socket lookup happens on the message path.
 * Emits are fire-and-forget: they return once handed to the adapter.
 */
export class RoomEmitter {
  constructor(private readonly io: ParleyServer) {}

  /** Every socket of `userId` (all tabs, all processes). */
  toUser<E extends ServerEventName>(userId: string, event: E, payload: ServerPayload<E>): void {
    // The typed emit cannot follow a generic event name; the payload type is checked at the call site.
    (this.io.to(userRoom(userId)).emit as (e: string, p: unknown) => void)(event, payload);
  }

  /** Every socket of each of `userIds`; one emit however many users. */
  toUsers<E extends ServerEventName>(userIds: readonly string[], event: E, payload: ServerPayload<E>): void {
    if (userIds.length === 0) return;
    // One room by name: the adapter then skips the set it builds to send once to sockets in several rooms.
    const rooms = userIds.length === 1 ? userRoom(userIds[0] as string) : userIds.map(userRoom);
    (this.io.to(rooms).emit as (e: string, p: unknown) => void)(event, payload);
  }

  /**
   * Every socket in the conversation's room but those of `exceptUserId`: one publish through the adapter,
   * whatever the number of members. It names the room and a twin nobody joins, so that the sharded Redis
   * adapter sends it on its main channel, which every process reads from the start, in order with the
   * membership changes published before it — not on the room's own channel, which a process subscribes to
   * only once it holds a member's socket, without waiting for the subscription (an emit published just
   * after a member was added on another process would be lost there).
   */
  toRoom<E extends ServerEventName>(
    conversationId: string,
    event: E,
    payload: ServerPayload<E>,
    exceptUserId?: string,
  ): void {
    const room = this.io.to(onMainChannel(conversationId));
    const target = exceptUserId === undefined ? room : room.except(userRoom(exceptUserId));
    (target.emit as (e: string, p: unknown) => void)(event, payload);
  }

  /**
   * Moves every socket of `userIds` (on every process) into or out of the conversation's room. Resolves
   * once done here and published to the other processes: a cluster adapter awaits Redis's reply to the
   * publish (then applies it locally), so any publish Redis receives afterwards — from this process or
   * another — reaches every process after this change (docs/architecture.md, "Group fan-out").
   */
  async moveSockets(userIds: readonly string[], conversationId: string, into: boolean): Promise<void> {
    if (userIds.length === 0) return;
    const adapter = this.io.of('/').adapter;
    const opts = { rooms: new Set(userIds.map(userRoom)), except: new Set<string>() };
    // Typed `void` by socket.io; the cluster adapters' implementations return a promise.
    const change = (into ? adapter.addSockets : adapter.delSockets).bind(adapter) as (
      o: typeof opts,
      rooms: string[],
    ) => unknown;
    const room = conversationRoom(conversationId);
    await change(opts, [room]);
    // Applied here too, now: the classic Redis adapter changes this process's rooms only when its own
    // request comes back from Redis, and an emit from here meanwhile would still reach (or miss) them.
    const here = this.io.local.in([...opts.rooms]);
    if (into) here.socketsJoin(room);
    else here.socketsLeave(room);
  }

  /** Every socket in the conversation's room or of one of `userIds`, each once: one publish. */
  toRoomAndUsers<E extends ServerEventName>(
    conversationId: string,
    userIds: readonly string[],
    event: E,
    payload: ServerPayload<E>,
  ): void {
    const target = this.io.to([...onMainChannel(conversationId), ...userIds.map(userRoom)]);
    (target.emit as (e: string, p: unknown) => void)(event, payload);
  }

  /** Every connected socket except those of `exceptUserId`. */
  broadcast<E extends ServerEventName>(event: E, payload: ServerPayload<E>, exceptUserId?: string): void {
    const target = exceptUserId ? this.io.except(userRoom(exceptUserId)) : this.io;
    (target.emit as (e: string, p: unknown) => void)(event, payload);
  }
}

/** The conversation's room and a twin nobody joins: naming two rooms keeps an emit on the main channel. */
const onMainChannel = (conversationId: string): string[] => {
  const room = conversationRoom(conversationId);
  return [room, `${room}#main`];
};

/**
 * What each domain event puts on the socket wire: the spec's events, to the spec's rooms, in the spec's
 * order. Every event of the bus has an entry — `null` where nothing goes out (the socket transport
 * answers a connection itself) — so a new domain event does not compile until it is given one.
 */
export type SocketPublishers = { [E in DomainEventName]: ((event: DomainEvents[E]) => void) | null };

const names = (sender: User, receiver: User | null) => ({
  senderName: sender.name,
  receiverName: receiver?.name ?? null,
});

export function socketPublishers(io: ParleyServer): SocketPublishers {
  const rooms = new RoomEmitter(io);
  return {
    // The sender's sockets first, then every other member's: `receive_message`, `message_notification`.
    // In a group, one publish to the group's room (but the sender's sockets) per event.
    'message.stored': ({ message, sender, receiver, recipientIds, conversationTitle, conversationType }) => {
      const wire = toWireMessage(message, names(sender, receiver));
      const notification = {
        type: 'new_message' as const,
        from: { _id: sender.id, name: sender.name },
        message: preview(message.content),
        timestamp: wire.sentAt,
        conversationId: message.conversationId,
        ...(conversationTitle === null ? {} : { conversationTitle }),
      };
      rooms.toUser(sender.id, 'message_sent', { success: true, message: wire });
      if (conversationType === 'group') {
        rooms.toRoom(message.conversationId, 'receive_message', wire, sender.id);
        rooms.toRoom(message.conversationId, 'message_notification', notification, sender.id);
        return;
      }
      rooms.toUsers(recipientIds, 'receive_message', wire);
      rooms.toUsers(recipientIds, 'message_notification', notification);
    },
    // A retry: the sender's sockets get the stored message again; the others were told the first time.
    'message.resent': ({ message, sender, receiver }) => {
      const wire = toWireMessage(message, names(sender, receiver));
      rooms.toUser(sender.id, 'message_sent', { success: true, message: wire });
    },
    // In a group the cursor's `conversation_read` tells the members; the reader gets the confirmation.
    'message.read': ({ message, sender, reader, conversationType }) => {
      if (conversationType === 'group') {
        const wire = toWireMessage(message, names(sender, null));
        rooms.toUser(reader.id, 'message_read_confirmed', { success: true, message: wire });
        return;
      }
      const wire = toWireMessage(message, names(sender, reader));
      rooms.toUser(sender.id, 'message_read', {
        messageId: wire._id,
        readBy: { _id: reader.id, name: reader.name },
        readAt: message.readAt.toISOString(),
      });
      rooms.toUser(reader.id, 'message_read_confirmed', { success: true, message: wire });
    },
    // The reader's sockets on every call, with their unread count; the other members' (see below).
    'conversation.read': ({ state, moved, otherMemberIds, conversationType }) => {
      const payload = toConversationRead(state);
      rooms.toUser(state.userId, 'conversation_read', {
        ...payload,
        unreadCount: state.unreadCount,
        success: true,
      });
      // In a group, the other members only when the cursor moved: a repeated read of an old message
      // would otherwise cost a delivery to every member's sockets each time.
      if (conversationType === 'group') {
        if (moved) rooms.toRoom(state.conversationId, 'conversation_read', payload, state.userId);
      } else rooms.toUsers(otherMemberIds, 'conversation_read', payload);
    },
    // Before the change is announced or acknowledged (and again on a retry that changed nothing).
    'members.moved': async ({ conversationId, joined, left }) => {
      await Promise.all([
        rooms.moveSockets(joined, conversationId, true),
        rooms.moveSockets(left, conversationId, false),
      ]);
    },
    // The sockets have moved already: those who left get this event through their own room, and nothing
    // of the group after it. The emit names several rooms, so a cluster adapter sends it on its main
    // channel, after the moves it published before.
    'conversation.changed': ({ conversation, change, joined, left }) => {
      // The room holds every member (the one who made the change too); those who left, their own rooms.
      const users = new Set([...joined, ...left]);
      rooms.toRoomAndUsers(conversation.id, [...users], 'conversation_updated', {
        conversation: toWireConversation(conversation),
        change: {
          type: change.type,
          by: change.by,
          ...(change.userIds === undefined ? {} : { userIds: change.userIds }),
        },
      });
    },
    'presence.changed': ({ user, online, at, audience }) => {
      const tell = <E extends 'user_online' | 'user_offline'>(event: E, payload: ServerPayload<E>) => {
        if (audience === 'everyone') rooms.broadcast(event, payload, user.id);
        else rooms.toUsers(audience, event, payload);
      };
      if (online) tell('user_online', { userId: user.id, name: user.name, username: user.username });
      else tell('user_offline', { userId: user.id, lastSeen: at.toISOString() });
    },
    'typing.changed': ({ typist, conversationId, conversationType, recipientIds, isTyping }) => {
      const payload = { userId: typist.id, userName: typist.name, isTyping, conversationId };
      if (conversationType === 'group') rooms.toRoom(conversationId, 'typing_indicator', payload, typist.id);
      else rooms.toUsers(recipientIds, 'typing_indicator', payload);
    },
    // `connection` and `online_users` go to the new socket from the connection handler.
    'connection.opened': null,
    'connection.closed': null,
  };
}

/** Subscribes the socket transport to every domain event it puts on the wire. */
export function publishToSockets(events: EventSource, io: ParleyServer): void {
  const publishers = socketPublishers(io);
  for (const name of Object.keys(publishers) as DomainEventName[]) {
    const publish = publishers[name] as ((event: unknown) => void) | null;
    // A group's messages go to its room: the publisher never reads their `recipientIds`.
    if (publish) events.on(name, publish, { withoutGroupRecipients: true });
  }
}
