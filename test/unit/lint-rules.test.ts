import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { clientEvents, serverEvents } from '../../src/docs/socket-events.js';

const configUrl = new URL('../../eslint.config.js', import.meta.url).href;
const { SOCKET_EVENT_NAMES } = (await import(configUrl)) as { SOCKET_EVENT_NAMES: string[] };

// The rule that keeps src/services/ transport-neutral (eslint.config.js), run on sample sources.
const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });
const problemsIn = async (source: string) => {
  const [result] = await eslint.lintText(source, { filePath: 'src/services/sample-service.ts' });
  return (result?.messages ?? []).map((m) => m.ruleId);
};

describe('lint rules for src/services/', () => {
  it('lists every socket event name that is not a plain word', () => {
    const names = [...Object.keys(serverEvents), ...Object.keys(clientEvents)].filter((n) => n.includes('_'));
    assert.deepEqual([...SOCKET_EVENT_NAMES].sort(), names.sort());
  });

  it('refuses the protocol, the transports, framework imports and socket event names', async () => {
    assert.deepEqual(
      await problemsIn(
        [
          "import type { WireMessage } from '../protocol/outputs.js';",
          "import { toWireMessage } from '../protocol/wire.js';",
          "import type { ServerEventName } from '../protocol/events.js';",
          "import type { ParleyServer } from '../transport/socket/socket-types.js';",
          "import type { Server } from 'socket.io';",
          'export type T = [WireMessage, ServerEventName, ParleyServer, Server];',
          'export const f = toWireMessage;',
          "export const event = 'receive_message';",
          'export const other = `typing_indicator`;',
          '',
        ].join('\n'),
      ),
      [...Array(5).fill('no-restricted-imports'), 'no-restricted-syntax', 'no-restricted-syntax'],
    );
  });

  it('lets services import the domain, ports and the bus, and name domain events', async () => {
    assert.deepEqual(
      await problemsIn(
        [
          "import type { User } from '../domain/types.js';",
          "import type { EventBus } from './event-bus.js';",
          "export const publish = (bus: EventBus, user: User) => bus.emit('connection.opened', { user, connectionId: 'c' });",
          '',
        ].join('\n'),
      ),
      [],
    );
  });
});
