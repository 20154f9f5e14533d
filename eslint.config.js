import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The Socket.IO event names of src/protocol/events.ts that are not plain words, which no file under
 * src/services/ may spell (test/unit/lint-rules.test.ts keeps the list complete).
 */
export const SOCKET_EVENT_NAMES = [
  'online_users',
  'user_online',
  'user_offline',
  'message_sent',
  'receive_message',
  'message_read',
  'message_read_confirmed',
  'typing_indicator',
  'message_history',
  'unread_count',
  'missed_messages',
  'message_notification',
  'conversation_read',
  'send_message',
  'mark_message_read',
  'typing_start',
  'typing_stop',
  'get_message_history',
  'get_unread_count',
  'get_conversations',
  'get_conversation',
  'open_direct',
  'mark_conversation_read',
  'conversation_updated',
  'create_group',
  'update_conversation',
  'add_members',
  'remove_member',
  'set_member_role',
];
const socketEventName = `/^(${SOCKET_EVENT_NAMES.join('|')})$/`;
const namesSocketEvent =
  'Services name no socket event: publish a domain event; the socket transport maps it.';

export default tseslint.config(
  { ignores: ['dist/**', 'client/dist/**', 'node_modules/**', 'data/**', 'bench/results/**', 'scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Tests read untyped JSON and socket payloads; `any` keeps their assertions readable.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The core is transport-neutral: services take and return domain values and publish domain events.
    // Wire shapes, event maps, schemas and socket event names belong to the transports.
    files: ['src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/protocol/*', '**/protocol'],
              message:
                'Services take and return domain values: wire payloads, event maps and schemas belong to src/transport/ (map there, with src/protocol/wire.ts).',
            },
            {
              group: ['**/transport/*', '**/transport/**', '**/docs/*'],
              message: 'Services know no transport: publish a domain event on the bus instead.',
            },
            {
              group: ['fastify', '@fastify/*', 'socket.io', 'socket.io-*', '@socket.io/*', 'zod'],
              message: 'Services use no web framework, socket library or schema library.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: `Literal[value=${socketEventName}]`, message: namesSocketEvent },
        { selector: `TemplateElement[value.raw=${socketEventName}]`, message: namesSocketEvent },
      ],
    },
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
