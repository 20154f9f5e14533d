import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  DiagnosticSeverity,
  Parser,
  type AsyncAPIDocumentInterface,
  type OperationInterface,
} from '@asyncapi/parser';
import { asyncApiJson } from '../../src/docs/asyncapi.js';
import { clientEvents, serverEvents } from '../../src/docs/socket-events.js';
import type { Services } from '../../src/services/services.js';
import { eventBindings } from '../../src/transport/socket/socket-handlers.js';

// `clientEvents` and `serverEvents` are checked against ClientToServerEvents and ServerToClientEvents at
// compile time (every key, and each schema's type); these tests check the document built from them.

const parser = new Parser();

/** Parses with the official parser; errors and warnings fail (hints such as "3.1.0 exists" do not). */
async function parse(text: string): Promise<AsyncAPIDocumentInterface> {
  const { document, diagnostics } = await parser.parse(text);
  const problems = diagnostics
    .filter((d) => d.severity <= DiagnosticSeverity.Warning)
    .map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`);
  assert.deepEqual(problems, [], 'the AsyncAPI parser reports problems');
  assert.ok(document, 'the AsyncAPI parser returned no document');
  return document;
}

/** Server-side binding of every client event, read for its names and reply events only (never run). */
const bindings = eventBindings({} as Services);

describe('AsyncAPI document of the Socket.IO events', () => {
  it('is valid AsyncAPI 3.1 for the official parser, which does catch a broken payload', async () => {
    const document = await parse(asyncApiJson());
    assert.equal(document.version(), '3.1.0');

    const broken = JSON.parse(asyncApiJson());
    broken.components.messages.send_message.payload.properties.content.type = 'text';
    const { diagnostics } = await parser.parse(JSON.stringify(broken));
    assert.ok(
      diagnostics.some((d) => d.severity === DiagnosticSeverity.Error),
      'a payload with an invalid type must be reported as an error',
    );
  });

  it('lists every event of both event maps, with payload schemas and acknowledgements', async () => {
    const document = await parse(asyncApiJson());
    const received = new Map<string, OperationInterface>();
    const sent = new Set<string>();
    for (const operation of document.operations().all()) {
      const [message, ...more] = operation.messages().all();
      assert.ok(message && more.length === 0, `${operation.id()} has one message`);
      const name = message.name() ?? '';
      assert.equal(operation.id(), name, 'operations are named after their event');
      assert.ok(
        operation
          .channels()
          .all()
          .some((c) => c.address() === '/'),
        `${name} is in namespace /`,
      );
      if (operation.action() === 'receive') received.set(name, operation);
      else sent.add(name);
    }

    // Client → server: every event the server binds (the runtime Record<ClientEventName, …>).
    assert.deepEqual([...received.keys()].sort(), Object.keys(bindings).sort());
    assert.deepEqual([...received.keys()].sort(), Object.keys(clientEvents).sort());
    // Server → client: every event of ServerToClientEvents (the table is a Record over it).
    assert.deepEqual([...sent].sort(), Object.keys(serverEvents).sort());
    assert.equal(sent.size, 18);

    for (const [name, operation] of received) {
      const payload = operation.messages().all()[0]?.payload()?.json() as any;
      if (name === 'get_unread_count') assert.equal(payload, undefined, 'get_unread_count takes no payload');
      else {
        const object =
          payload?.type === 'object' ? payload : payload?.anyOf?.find((s: any) => s.type === 'object');
        assert.ok(object && typeof object === 'object', `${name} payload is an object schema`);
        assert.ok(Object.keys(object.properties ?? {}).length > 0, `${name} payload lists its fields`);
      }
      const ack = operation.reply()?.messages().all()[0]?.payload()?.json() as any;
      assert.ok(Array.isArray(ack?.oneOf) && ack.oneOf.length === 2, `${name} has an acknowledgement`);
      const failure = ack.oneOf.find((s: any) => s.properties?.success?.const === false);
      assert.deepEqual(
        failure?.required,
        ['success', 'message'],
        `${name} acknowledgement may be {success: false, message}`,
      );
    }
    for (const message of document.messages().all()) {
      if (!message.name() || message.name() === 'get_unread_count') continue;
      const payload = message.payload()?.json() as any;
      assert.ok(payload?.type === 'object' || payload?.type === 'array' || payload?.anyOf, message.name());
    }
  });

  it('names the reply events the server emits along with each acknowledgement', () => {
    for (const [event, binding] of Object.entries(bindings)) {
      const doc = clientEvents[event as keyof typeof clientEvents] as { reply?: string };
      assert.equal(doc.reply, binding.reply, event);
    }
  });

  it('documents the handshake token and the error event', async () => {
    const document = await parse(asyncApiJson());
    const [server] = document.servers().all();
    const [scheme] = server?.security().flatMap((requirement) => requirement.all()) ?? [];
    assert.equal(scheme?.scheme().type(), 'http');
    assert.match(scheme?.scheme().description() ?? '', /auth: \{ token \}/);
    const error = document
      .messages()
      .all()
      .find((m) => m.name() === 'error');
    assert.deepEqual((error?.payload()?.json() as any)?.required, ['message']);
  });

  it('is committed as docs/asyncapi.json exactly as generated (npm run docs:asyncapi)', () => {
    const committed = readFileSync(new URL('../../docs/asyncapi.json', import.meta.url), 'utf8');
    assert.deepEqual(
      JSON.parse(committed),
      JSON.parse(asyncApiJson()),
      'docs/asyncapi.json is out of date: run npm run docs:asyncapi',
    );
  });
});
