/**
 * The baseline: a bare Socket.IO relay with Parley's event shapes and fan-out (per-user rooms;
 * message_sent to the sender, receive_message and message_notification to the receiver), but no auth
 * check (the user id is taken from `auth.userId`), no storage and no validation. What Parley delivers is
 * compared with what this delivers on the same machine in the same run. A send with an acknowledgement
 * callback is acknowledged with the `message_sent` payload, and a `clientMessageId` is echoed in the
 * message, as Parley does: the same bytes on the wire per message.
 *
 * Groups: a socket joins the room `c:<id>` of each id in `auth.rooms` (a group's members' sockets, as
 * Parley's join their groups' rooms), and a `send_message {conversationId, content}` is Parley's group
 * fan-out: `message_sent` to the sender's room, `receive_message` and `message_notification` (with the
 * conversation's id and `auth.titles[id]` as its title) each as one emit to the group's room except the
 * sender's sockets — the same events, shapes and rooms. With REDIS_URL the relay uses the sharded Redis
 * adapter as Parley does (dynamic subscriptions, channels under REDIS_PREFIX), so several relay processes
 * do the same cross-process broadcast.
 */
import { createServer } from 'node:http';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';

const httpServer = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
});
const io = new Server(httpServer, { transports: ['polling', 'websocket'] });
// Ids unique across relay processes (each numbers its own from a different start).
let nextId = Number(process.env.RELAY_ID_BASE ?? 0) * 1e7 + 1;

if (process.env.REDIS_URL) {
  const commands = createClient({ url: process.env.REDIS_URL });
  const subscriber = commands.duplicate();
  await Promise.all([commands.connect(), subscriber.connect()]);
  io.adapter(
    createShardedAdapter(commands, subscriber, {
      channelPrefix: `${process.env.REDIS_PREFIX ?? ''}socket.io`,
      subscriptionMode: 'dynamic',
    }),
  );
}

io.on('connection', (socket) => {
  const userId = String(socket.handshake.auth?.userId ?? socket.id);
  const auth = (socket.handshake.auth ?? {}) as { rooms?: string[]; titles?: Record<string, string> };
  const titles = auth.titles ?? {};
  void socket.join([`user:${userId}`, ...(auth.rooms ?? []).map((id) => `c:${id}`)]);
  socket.emit('connection', { success: true, user: { _id: userId, name: userId, username: userId } });
  // Parley tells a socket `online_users` once it is in its groups' rooms: the group benchmark waits for it.
  if (auth.rooms) socket.emit('online_users', []);
  type Payload = { receiverId?: string; conversationId?: string; content: string; clientMessageId?: string };
  socket.on('send_message', (payload: Payload, ack?: (reply: unknown) => void) => {
    if (payload.conversationId !== undefined) {
      const message = {
        _id: String(nextId++),
        conversationId: payload.conversationId,
        content: payload.content,
        sentAt: new Date().toISOString(),
        read: false,
        senderId: userId,
        senderName: userId,
        receiverId: null,
        receiverName: null,
        ...(payload.clientMessageId === undefined ? {} : { clientMessageId: payload.clientMessageId }),
      };
      const sent = { success: true, message };
      const room = `c:${payload.conversationId}`;
      io.to(`user:${userId}`).emit('message_sent', sent);
      io.to(room).except(`user:${userId}`).emit('receive_message', message);
      io.to(room)
        .except(`user:${userId}`)
        .emit('message_notification', {
          type: 'new_message',
          from: { _id: userId, name: userId },
          message: payload.content.slice(0, 100),
          timestamp: message.sentAt,
          conversationId: payload.conversationId,
          conversationTitle: titles[payload.conversationId] ?? '',
        });
      if (typeof ack === 'function') ack(sent);
      return;
    }
    const message = {
      _id: String(nextId++),
      content: payload.content,
      sentAt: new Date().toISOString(),
      read: false,
      senderId: userId,
      senderName: userId,
      receiverId: payload.receiverId as string,
      receiverName: payload.receiverId as string,
      ...(payload.clientMessageId === undefined ? {} : { clientMessageId: payload.clientMessageId }),
    };
    const sent = { success: true, message };
    io.to(`user:${userId}`).emit('message_sent', sent);
    io.to(`user:${payload.receiverId}`).emit('receive_message', message);
    io.to(`user:${payload.receiverId}`).emit('message_notification', {
      type: 'new_message',
      from: { _id: userId, name: userId },
      message: payload.content.slice(0, 100),
      timestamp: message.sentAt,
    });
    if (typeof ack === 'function') ack(sent);
  });
});

const port = Number(process.env.PORT ?? 3100);
httpServer.listen(port, process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  void io.close();
  httpServer.close(() => process.exit(0));
});
