/**
 * Parley as a library: the `parley` Fastify plugin, `attachParley` for an existing server, `createApp`
 * for a standalone one, and the types their options and results use.
 */
export { attachParley, type AttachOptions } from './library.js';
export { createApp, parley, type Parley, type ParleyOptions, type ParleyPluginOptions } from './app.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export type { ExternalIdentity } from './services/ports.js';
export type { ClientToServerEvents, ServerToClientEvents } from './protocol/events.js';
