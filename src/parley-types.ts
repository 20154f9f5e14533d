import type { Server as HttpServer } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { User } from './domain/types.js';
import type { EventSource, MessageStored } from './services/event-bus.js';
import type { ExternalIdentity } from './services/ports.js';
import type { SendDraft, SendVerdict } from './services/send-policy.js';
import type { Services } from './services/services.js';
import type { ParleyServer } from './transport/socket/socket-types.js';

/** A socket of a user: what `onConnect` and `onDisconnect` are told. */
export interface SocketInfo {
  user: User;
  /** The Socket.IO socket id (`parley.io.sockets.sockets.get(socketId)` on the process holding it). */
  socketId: string;
}

/**
 * The host's say in what Parley does, called from the core's event bus (so for REST and Socket.IO
 * alike). Every hook may be async. Only `beforeSend` can change anything; what the others throw or
 * reject with is logged and ignored.
 */
export interface ParleyHooks {
  /**
   * Each message about to be stored, after validation, permission checks and the retry check (a retry
   * of a stored message is answered without it). Return `{ reject: 'why' }` to refuse it — nothing is
   * stored and the sender gets that message (socket `error` event and ack `{success: false, message}`,
   * REST `403 {message}`) — or `{ content: 'new text' }` to store that instead (trimmed, then refused
   * like a client's content when empty or longer than `MAX_MESSAGE_LENGTH`), or nothing to let it
   * through. A hook that throws or rejects fails the send with `Failed to send message` (logged).
   */
  beforeSend?(draft: SendDraft): SendVerdict | Promise<SendVerdict>;
  /** Each new message, once stored and announced to its conversation's sockets (not a retry's answer). */
  afterStore?(stored: MessageStored): unknown;
  /** Every socket that connects (once per socket: a user with three tabs is three calls). */
  onConnect?(socket: SocketInfo): unknown;
  /** Every socket that disconnects, once, after its `onConnect`. */
  onDisconnect?(socket: SocketInfo): unknown;
}

/** What the `parley` Fastify plugin takes: its settings, and who its users are. */
export interface ParleyPluginOptions {
  /** Parley's settings, as environment variables (the same names as for `npm start`). Default: none. */
  env?: Record<string, string | undefined>;
  /** Or an already loaded configuration (`loadConfig`). */
  config?: Readonly<Config>;
  /**
   * The host application's own token verification and user lookup. Without it, Parley's own accounts
   * (`/api/auth/register`, `/api/auth/login`) and JWTs are used.
   */
  identity?: ExternalIdentity;
  /** The host's hooks on sends and connections (see `ParleyHooks`). */
  hooks?: ParleyHooks;
  /**
   * The instance and its server are Parley's alone (what `createApp` builds): the routes go at the
   * instance's root, unknown routes get Parley's JSON 404, the demo page is served at `/`, `listen()`
   * works and `close()` closes the instance. Default false (library mode): Parley keeps to an encapsulated
   * scope and leaves `/`, the 404 handling, listening and closing the server to the host.
   */
  standalone?: boolean;
}

/**
 * Where `createApp` serves. By default it creates its own Fastify server. Library mode attaches it to the
 * host application's server instead — see `attachParley` in src/library.ts.
 */
export interface ParleyOptions {
  /**
   * A Node HTTP server (e.g. `http.createServer(expressApp)`, created with its request handler): Parley
   * answers the requests its Fastify has routes for, and Socket.IO, there and hands every other request
   * to the server's handlers.
   */
  server?: HttpServer;
  /** A Fastify app: the `parley` plugin is registered on it (REST in an encapsulated scope). */
  fastify?: FastifyInstance;
  /** The host's own token verification and user lookup, instead of Parley's accounts and JWTs. */
  identity?: ExternalIdentity;
  /** The host's hooks on sends and connections (see `ParleyHooks`). */
  hooks?: ParleyHooks;
}

export interface Parley {
  /** The Fastify instance Parley was registered on (in library mode with a Fastify app, the host's). */
  readonly fastify: FastifyInstance;
  readonly io: ParleyServer;
  readonly services: Services;
  /** The core's event bus (`services.events`): `on('message.stored', handler)` and the other domain events. */
  readonly events: EventSource;
  /**
   * Listens on `config.port`/`config.host` (port 0 picks a free port); resolves the base URL. Only for a
   * Parley with its own server: in library mode the host listens.
   */
  listen(): Promise<string>;
  /**
   * Stops accepting, disconnects sockets, lets started work finish, then closes storage. Idempotent. In
   * library mode the host's app and server keep running (Parley's routes then answer 503); closing the
   * Fastify instance closes Parley too.
   */
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Parley, once `register(parley, …)` has loaded. */
    parley: Parley;
  }
}
