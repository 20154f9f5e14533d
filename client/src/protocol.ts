/**
 * The protocol types the client uses and re-exports: the event maps and payloads of the server's schemas
 * (src/protocol/). In the repository they come straight from there. The package build
 * (scripts/build-client.mjs) puts in place of this file the same types written out as plain TypeScript,
 * so the package needs neither the server's source nor zod.
 */
export type {
  ClientEventName,
  ClientToServerEvents,
  ServerEventName,
  ServerToClientEvents,
} from '../../src/protocol/events.js';
export type * from '../../src/protocol/outputs.js';
