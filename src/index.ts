/**
 * Parley as a library: the `parley` Fastify plugin, `attachParley` for an existing server, `createApp`
 * for a standalone one, and the types their options and results use.
 */
export { attachParley, type AttachOptions } from './library.js';
export {
  createApp,
  parley,
  type Parley,
  type ParleyHooks,
  type ParleyOptions,
  type ParleyPluginOptions,
  type SocketInfo,
} from './app.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export type { ExternalIdentity } from './services/ports.js';
export type { DomainEvents, EventSource, MessageStored } from './services/event-bus.js';
export type { SendDraft, SendVerdict } from './services/send-policy.js';
export type { ClientToServerEvents, ServerToClientEvents } from './protocol/events.js';
