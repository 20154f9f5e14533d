/**
 * Parley as a library: `attachParley` for an existing server, `createApp` for a standalone one, and the
 * types their options and results use.
 */
export { attachParley, type AttachOptions } from './library.js';
export { createApp, type Parley, type ParleyOptions } from './app.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export type { ExternalIdentity } from './services/ports.js';
export type { ClientToServerEvents, ServerToClientEvents } from './protocol/events.js';
