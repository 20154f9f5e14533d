/**
 * The baseline: a bare Socket.IO relay with Parley's event shapes and fan-out (per-user rooms;
 * message_sent to the sender, receive_message and message_notification to the receiver), but no auth
 * check (the user id is taken from `auth.userId`), no storage and no validation. What Parley delivers is
 * compared with what this delivers on the same machine in the same run. A send with an acknowledgement
 * callback is acknowledged with the `message_sent` payload, and a `clientMessageId` is echoed in the
 * message, as Parley does: the same bytes on the wire per message.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const httpServer = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
});
const io = new Server(httpServer, { transports: ['polling', 'websocket'] });
let nextId = 1;

io.on('connection', (socket) => {
  const userId = String(socket.handshake.auth?.userId ?? socket.id);
  void socket.join(`user:${userId}`);
  socket.emit('connection', { success: true, user: { _id: userId, name: userId, username: userId } });
  type Payload = { receiverId: string; content: string; clientMessageId?: string };
  socket.on('send_message', (payload: Payload, ack?: (reply: unknown) => void) => {
    const message = {
      _id: String(nextId++),
      content: payload.content,
      sentAt: new Date().toISOString(),
      read: false,
      senderId: userId,
      senderName: userId,
      receiverId: payload.receiverId,
      receiverName: payload.receiverId,
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
