import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { ParleyMetrics } from '../../observability/metrics.js';
import type { Logger } from '../../services/ports.js';
import type { Services } from '../../services/services.js';
import { expireWithToken, socketAuth } from './socket-auth.js';
import { AppError, defaultMessages } from '../../domain/errors.js';
import type { RateLimiter } from '../../services/ports.js';
import type { ConnectionGuard } from './connection-guard.js';
import { toOnlineUsers } from '../message-mappers.js';
import { bindEvents, eventBindings } from './socket-handlers.js';
import { publishToSockets } from './socket-publisher.js';
import { conversationRoom, userRoom, type ParleyServer, type ParleySocket } from './socket-types.js';

export interface SocketServerOptions {
  corsOrigins: '*' | string[];
  maxHttpBufferSize?: number;
  /** Per-IP checks on each new engine.io handshake (`ConnectionGuard.allowRequest`). */
  allowRequest?: ConnectionGuard['allowRequest'];
  /** The Socket.IO admin UI's origin is allowed (with credentials); `attachAdminUi` adds the UI itself. */
  adminUi?: { username: string; passwordHash: string; origin: string };
}

/** Creates the Socket.IO server on `httpServer` (same port as REST). Handlers are bound by `attach`. */
export function createSocketServer(httpServer: HttpServer, options: SocketServerOptions): ParleyServer {
  const { adminUi } = options;
  // The admin UI is a page on another origin that connects with credentials: it needs its origin listed
  // (or, with `*`, the request's origin reflected) and credentials allowed.
  const cors = adminUi
    ? {
        origin: options.corsOrigins === '*' ? true : [...options.corsOrigins, adminUi.origin],
        credentials: true,
      }
    : { origin: options.corsOrigins === '*' ? '*' : options.corsOrigins };
  const io: ParleyServer = new Server(httpServer, {
    cors,
    transports: ['polling', 'websocket'],
    maxHttpBufferSize: options.maxHttpBufferSize ?? 1e6,
    ...(options.allowRequest ? { allowRequest: options.allowRequest } : {}),
  });
  return io;
}

/**
 * Wires authentication and every client event to the services, and every domain event the services
 * publish to the sockets it concerns (`socket-publisher.ts`). Returns `drain`, which resolves once the
 * handler work already started (stores, presence bookkeeping) has settled — for shutdown.
 */
export function attachSocketHandlers(
  io: ParleyServer,
  services: Services,
  logger: Logger,
  options: {
    maxSocketsPerUser: number;
    metrics?: ParleyMetrics;
    /** Most handler calls of one socket running at once; past it the socket is disconnected. */
    maxInflight?: number;
    /** Counts sessions and failed handshakes per IP, with `limits`. */
    guard?: { connections: ConnectionGuard; limits: RateLimiter };
    /** Whether `online_users` entries carry `email` (the seed's shape; default true). */
    onlineUsersEmail?: boolean;
  },
) {
  const { metrics, guard } = options;
  guard?.connections.watch(io, guard.limits, () => metrics?.socketRefusals.inc());
  const inflight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inflight.add(work);
    const done = () => inflight.delete(work);
    work.then(done, done);
  };
  const bindings = eventBindings(services);
  publishToSockets(services.events, io);

  if (guard) io.use(guard.connections.beforeAuth);
  io.use(
    socketAuth(services.auth, logger, (socket, err) => {
      metrics?.socketRefusals.inc();
      guard?.connections.authenticated(socket);
      if (err instanceof AppError) guard?.connections.failed(socket.request);
    }),
  );
  io.use((socket, next) => {
    guard?.connections.authenticated(socket);
    next();
  });
  io.use((socket, next) => {
    const open = io.of('/').adapter.rooms.get(userRoom(socket.data.user.id))?.size ?? 0;
    if (open < options.maxSocketsPerUser) return next();
    metrics?.socketRefusals.inc();
    next(new Error(`Too many connections: at most ${options.maxSocketsPerUser} per user`));
  });
  io.on('connection', (socket) => {
    const user = socket.data.user;
    void socket.join(userRoom(user.id));
    // The socket is in its groups' rooms before it is told `online_users`: from then on it receives
    // every group event (a client fetching its inbox after that misses nothing).
    const inGroups = joinGroupRooms(socket, services, logger);
    metrics?.socketConnections.inc();
    if (metrics) {
      const delivered = metrics.messagesDelivered;
      socket.onAnyOutgoing((event: string) => {
        if (event === 'receive_message') delivered.inc();
      });
    }
    const socketLogger = logger.child?.({ socketId: socket.id, userId: user.id }) ?? logger;
    bindEvents(
      socket,
      bindings,
      socketLogger,
      track,
      (code) => metrics?.errors.inc({ code, transport: 'socket' }),
      { maxInflight: options.maxInflight },
    );
    expireWithToken(socket, defaultMessages.TOKEN_EXPIRED);
    socket.emit('connection', {
      success: true,
      user: { _id: user.id, name: user.name, username: user.username },
    });
    // Presence starts at once (`connection.opened` is published now); `online_users` waits for both.
    const joined = Promise.all([services.presence.connected(user, socket.id), inGroups])
      .then(([online]) => online)
      .then(
        (online) => {
          socket.emit('online_users', toOnlineUsers(online, options.onlineUsersEmail));
        },
        (err: unknown) => {
          // Presence is down (Redis unreachable): the socket still works; its list is empty until it reconnects.
          logger.error({ err, userId: user.id }, 'presence bookkeeping failed on connect');
          socket.emit('online_users', []);
        },
      );
    track(joined);
    socket.on('disconnect', () => {
      track(
        joined
          .then(() => services.presence.disconnected(user, socket.id))
          .catch((err: unknown) =>
            logger.error({ err, userId: user.id }, 'presence bookkeeping failed on disconnect'),
          ),
      );
    });
  });

  return {
    drain: async (): Promise<void> => {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
  };
}

/**
 * Joins the rooms of the user's groups. The socket is in its user room already, so a member added from
 * now on is joined by the adder's `socketsJoin`. A removal that commits between the lookup and the join
 * would be missed (its `socketsLeave` found the socket not yet in the room): a second lookup after
 * joining leaves the rooms of groups the user is no longer in.
 */
async function joinGroupRooms(socket: ParleySocket, services: Services, logger: Logger): Promise<void> {
  const user = socket.data.user;
  try {
    const ids = await services.conversations.groupIds(user);
    if (ids.length === 0 || socket.disconnected) return;
    void socket.join(ids.map(conversationRoom));
    const still = new Set(await services.conversations.groupIds(user));
    for (const id of ids) if (!still.has(id)) void socket.leave(conversationRoom(id));
  } catch (err) {
    // Storage is down: the socket works, without its groups' live events until it reconnects.
    logger.error({ err, userId: user.id }, 'could not join the rooms of the user’s groups');
  }
}
