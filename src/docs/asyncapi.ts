import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { defaultMessages } from '../domain/errors.js';
import type { ClientEventName, ServerEventName } from '../protocol/events.js';
import * as Out from '../protocol/outputs.js';
import { parleyVersion, toJsonSchema, type JsonSchema } from './json-schema.js';
import { documented } from './route-docs.js';
import { clientEvents, serverEvents, type ClientEventDoc, type ServerEventDoc } from './socket-events.js';

const CHANNEL = 'parley';
const ref = (path: string) => ({ $ref: `#/${path}` });
const payloadSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema =>
  toJsonSchema(schema, io, 'draft-7');

const ackSchema = (success: z.ZodType): JsonSchema => ({
  oneOf: [payloadSchema(success, 'output'), payloadSchema(Out.ackErrorPayload, 'output')],
});

const description = `Parley's realtime API: Socket.IO 4 on the REST port (path \`/socket.io/\`, transports polling and websocket), in the default namespace \`/\`.

Client events ("receive" operations, the server receives them) take an optional acknowledgement callback as their last argument. It receives the success payload, or \`{"success": false, "message": "…"}\` while \`error\` is emitted to the socket too. Server events ("send" operations) are emitted by Parley. Fields, error messages and who receives what: docs/protocol.md.

A refused handshake is a \`connect_error\` on the client with one of these messages: ${[
  defaultMessages.NO_TOKEN,
  defaultMessages.INVALID_TOKEN,
  defaultMessages.TOKEN_USER_NOT_FOUND,
  'Too many connections: at most N per user',
]
  .map((m) => `\`${m}\``)
  .join(', ')}.`;

/** The AsyncAPI 3.1 document of every Socket.IO event, built from the event tables and zod schemas. */
export function buildAsyncApi(): JsonSchema {
  const messages: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  const message = (key: string) => ref(`channels/${CHANNEL}/messages/${key}`);

  for (const [event, doc] of Object.entries(clientEvents) as [ClientEventName, ClientEventDoc][]) {
    const ackKey = `${event}_ack`;
    messages[event] = {
      name: event,
      title: event,
      summary: doc.summary,
      ...(doc.payload ? { payload: payloadSchema(doc.payload, 'input') } : {}),
    };
    messages[ackKey] = {
      title: `${event} acknowledgement`,
      summary: `What the acknowledgement callback of \`${event}\` receives`,
      payload: ackSchema(doc.ack),
    };
    const also = doc.reply ? ` The same payload is also emitted to this socket as \`${doc.reply}\`.` : '';
    operations[event] = {
      action: 'receive',
      channel: ref(`channels/${CHANNEL}`),
      title: event,
      summary: doc.summary,
      description: `${doc.description ?? ''}${also}`.trim(),
      messages: [message(event)],
      reply: { channel: ref(`channels/${CHANNEL}`), messages: [message(ackKey)] },
    };
  }
  for (const [event, doc] of Object.entries(serverEvents) as [ServerEventName, ServerEventDoc][]) {
    messages[event] = {
      name: event,
      title: event,
      summary: doc.summary,
      payload: payloadSchema(doc.payload, 'output'),
    };
    operations[event] = {
      action: 'send',
      channel: ref(`channels/${CHANNEL}`),
      title: event,
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      messages: [message(event)],
    };
  }
  return {
    asyncapi: '3.1.0',
    info: { title: 'Parley realtime API', version: parleyVersion, description, license: { name: 'MIT' } },
    defaultContentType: 'application/json',
    servers: {
      parley: {
        host: 'localhost:3000',
        protocol: 'ws',
        pathname: '/socket.io/',
        description: 'A Parley server (HOST and PORT settings); Socket.IO 4 (Engine.IO 4) on the REST port.',
        security: [ref('components/securitySchemes/token')],
      },
    },
    channels: {
      [CHANNEL]: {
        address: '/',
        title: 'Default namespace',
        description: "Every event travels in the default namespace; Parley's rooms are internal.",
        servers: [ref('servers/parley')],
        messages: Object.fromEntries(
          Object.keys(messages).map((key) => [key, ref(`components/messages/${key}`)]),
        ),
      },
    },
    operations,
    components: {
      messages,
      securitySchemes: {
        token: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'The token from `POST /api/auth/register` or `POST /api/auth/login`, sent in the handshake as `io(url, { auth: { token } })` (with or without `Bearer `), or else as an `Authorization: Bearer <token>` header of the handshake request.',
        },
      },
    },
  };
}

let built: string | undefined;

/** The document as served and committed: pretty JSON with a final newline. */
export const asyncApiJson = (): string => (built ??= `${JSON.stringify(buildAsyncApi(), null, 2)}\n`);

/** `GET /asyncapi.json`. */
export function asyncApiRoutes(app: FastifyInstance): void {
  app.get(
    '/asyncapi.json',
    documented({
      tag: 'docs',
      summary: 'The AsyncAPI 3.1 document of the Socket.IO events',
      answers: {
        200: {
          description: 'AsyncAPI 3.1.0',
          contentType: 'application/json',
          schema: { type: 'object', description: 'An AsyncAPI 3.1.0 document' },
        },
      },
    }),
    async (_request, reply) => reply.type('application/json; charset=utf-8').send(asyncApiJson()),
  );
}
