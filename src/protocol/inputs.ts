import { z } from 'zod';
import { idField, limitField, pageField, textField, typeError } from './fields.js';

/** Client → server payloads and REST bodies. Each is the one schema used to validate that input. */

/**
 * Exactly one of two alternative fields: with neither, the first is reported missing (`receiverId is
 * required`, as before the alternative existed); with both, `Provide a or b, not both`.
 */
function oneOf<S extends z.ZodObject>(fields: S, first: string, second: string) {
  return z.preprocess(
    (v) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
      const given = { ...(v as Record<string, unknown>) };
      // `null` for an alternative means "not this one", as an absent field does.
      for (const key of [first, second]) if (given[key] === null) delete given[key];
      if (given[first] === undefined && given[second] === undefined) given[first] = null;
      return given;
    },
    fields.refine(
      (v) =>
        (v as Record<string, unknown>)[first] === undefined ||
        (v as Record<string, unknown>)[second] === undefined,
      { message: `Provide ${first} or ${second}, not both`, path: [second] },
    ),
  );
}

/** An optional field for which `null` also means "not given". */
const nullable = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

export const sendMessageFields = z.object({
  receiverId: idField('receiverId').optional(),
  conversationId: idField('conversationId').optional(),
  // Length limits are a configurable domain rule, checked by the messaging service.
  content: textField('content').trim().min(1, 'content must not be empty'),
  /** The client's own id for this send: a retry with the same id returns the stored message. */
  clientMessageId: textField('clientMessageId')
    .trim()
    .min(1, 'clientMessageId must not be empty')
    .max(128, 'clientMessageId must be at most 128 characters')
    .optional(),
});

/** `send_message` and `POST /api/messages`: to a user (their direct conversation) or to a conversation. */
export const sendMessageInput = oneOf(sendMessageFields, 'receiverId', 'conversationId');

export const markMessageReadInput = z.object({ messageId: idField('messageId') });

export const typingFields = z.object({
  receiverId: idField('receiverId').optional(),
  conversationId: idField('conversationId').optional(),
});
export const typingInput = oneOf(typingFields, 'receiverId', 'conversationId');

/** A message id that pages start after or before (`before` / `after`). */
const messageCursorField = (field: string) =>
  z.preprocess(
    (v) =>
      v === null ? undefined : typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? String(v) : v,
    textField(field)
      .trim()
      .regex(/^[1-9]\d{0,14}$/, `${field} must be a message id (a string of digits)`)
      .optional(),
  );

/** Cursor paging by message id: `before` or `after`, not both; not with `page`. */
const cursorPaging = {
  before: messageCursorField('before'),
  after: messageCursorField('after'),
};
const onePagingKind = (v: { before?: string; after?: string; page?: number }) =>
  v.before === undefined || v.after === undefined;
const noPageWithCursor = (v: { before?: string; after?: string; page?: number }) =>
  v.page === undefined || (v.before === undefined && v.after === undefined);

export const historyFields = z.object({
  otherUserId: idField('otherUserId').optional(),
  conversationId: idField('conversationId').optional(),
  page: pageField,
  limit: limitField(100),
  ...cursorPaging,
});

/** `get_message_history`: the seed's `{otherUserId, page}` or a conversation, paged by `before`/`after`. */
export const historyInput = oneOf(
  historyFields
    .refine(onePagingKind, { message: 'Provide before or after, not both', path: ['after'] })
    .refine(noPageWithCursor, { message: 'page cannot be combined with before or after', path: ['page'] }),
  'otherUserId',
  'conversationId',
);

/** A message id to sync after: a decimal string (or number) of a message id, `0` for the beginning. */
const afterIdField = z.preprocess(
  (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : v),
  textField('lastMessageId')
    .trim()
    .regex(/^\d{1,19}$/, 'lastMessageId must be a message id (a string of digits)'),
);

/** `sync` and `GET /api/messages/sync`: no payload (or `{}`) starts from the beginning. */
export const syncInput = z
  .object({ lastMessageId: afterIdField.optional(), limit: limitField(500) })
  .nullish()
  .transform((v) => ({ lastMessageId: v?.lastMessageId?.replace(/^0+(?=\d)/, '') ?? '0', limit: v?.limit }));

export const historyQuery = z
  .object({ page: pageField, limit: limitField(100), ...cursorPaging })
  .refine(onePagingKind, { message: 'Provide before or after, not both', path: ['after'] })
  .refine(noPageWithCursor, { message: 'page cannot be combined with before or after', path: ['page'] });

/** `GET /api/conversations/:id/messages`: cursor paging only. */
export const conversationMessagesQuery = z
  .object({ limit: limitField(100), ...cursorPaging })
  .refine(onePagingKind, { message: 'Provide before or after, not both', path: ['after'] });

/** An inbox page: `cursor` is the previous answer's `nextCursor`. */
export const conversationsInput = z
  .object({
    limit: limitField(100),
    cursor: nullable(textField('cursor').trim().max(64, 'cursor is not valid')),
  })
  .nullish()
  .transform((v) => ({ limit: v?.limit, cursor: v?.cursor || undefined }));

/** `GET /api/conversations/:id/members`: `cursor` is the previous answer's `nextCursor`. */
export const membersQuery = z.object({
  limit: limitField(100),
  cursor: nullable(textField('cursor').trim().max(64, 'cursor is not valid')),
});

export const conversationIdInput = z.object({ conversationId: idField('conversationId') });

export const openDirectInput = z.object({ userId: idField('userId') });

/** Most user ids one call may list (`memberIds`, `userIds`); `MAX_GROUP_MEMBERS` bounds the group. */
export const MAX_IDS_PER_CALL = 1000;

/** A group's title: trimmed, 1–100 characters (code points). */
export const titleField = textField('title')
  .trim()
  .min(1, 'title must not be empty')
  .refine((t) => t.length <= 100 || Array.from(t).length <= 100, 'title must be at most 100 characters');

/** A list of user ids: strings, trimmed, at most `MAX_IDS_PER_CALL`. */
const userIdList = (field: string) =>
  z
    .array(
      z
        .string({ error: `${field} must contain only user ids (strings)` })
        .trim()
        .min(1, `${field} must not contain empty ids`)
        .max(128, `${field} contains an id that is too long`)
        .refine((s) => !s.includes('\u0000') && s.isWellFormed(), `${field} contains an invalid id`),
      { error: typeError(field, 'an array of user ids') },
    )
    .max(MAX_IDS_PER_CALL, `${field} must list at most ${MAX_IDS_PER_CALL} users`);

/** `create_group`: a title and the other members (the creator is the owner; `memberIds` may be empty). */
export const createGroupInput = z.object({
  title: titleField,
  memberIds: userIdList('memberIds')
    .nullish()
    .transform((v) => v ?? []),
});

const createDirectBody = z.object({ type: z.literal('direct'), userId: idField('userId') });
const createGroupBody = createGroupInput.extend({ type: z.literal('group') });

/**
 * `POST /api/conversations`: `{type: 'direct', userId}` opens the pair's conversation; `{type: 'group',
 * title, memberIds}` creates a group.
 */
export const createConversationInput = z.discriminatedUnion('type', [createDirectBody, createGroupBody], {
  error: (issue) =>
    issue.code === 'invalid_union' || issue.code === 'invalid_value'
      ? "type must be 'direct' or 'group'"
      : undefined,
});

/** `update_conversation` (and `PATCH /api/conversations/:id` with the id in the path). */
export const updateConversationBody = z.object({ title: titleField });
export const updateConversationInput = updateConversationBody.extend({
  conversationId: idField('conversationId'),
});

/** `add_members` (and `POST /api/conversations/:id/members`). */
export const addMembersBody = z.object({
  userIds: userIdList('userIds').min(1, 'userIds must list at least one user'),
});
export const addMembersInput = addMembersBody.extend({ conversationId: idField('conversationId') });

/** `remove_member` (and `DELETE /api/conversations/:id/members/:userId`). */
export const removeMemberInput = z.object({
  conversationId: idField('conversationId'),
  userId: idField('userId'),
});

/** `set_member_role` (and `PATCH /api/conversations/:id/members/:userId`). */
export const setMemberRoleBody = z.object({
  role: z.enum(['owner', 'admin', 'member'], { error: "role must be 'owner', 'admin' or 'member'" }),
});
export const setMemberRoleInput = setMemberRoleBody.extend({
  conversationId: idField('conversationId'),
  userId: idField('userId'),
});

/** `DELETE` and `PATCH /api/conversations/:id/members/:userId`. */
export const memberParams = z.object({ id: idField('id'), userId: idField('userId') });

export const markConversationReadInput = z.object({
  conversationId: idField('conversationId'),
  messageId: nullable(idField('messageId')),
});

/** `POST /api/conversations/:id/read`: the body is optional. */
export const readBody = z
  .object({ messageId: nullable(idField('messageId')) })
  .nullish()
  .transform((v) => ({ messageId: v?.messageId }));

export const usersQuery = z.object({
  q: textField('q').trim().max(100, 'q is too long').optional(),
  page: pageField,
  limit: limitField(100),
});

export const registerInput = z.object({
  name: textField('name')
    .trim()
    .min(1, 'name must not be empty')
    .max(100, 'name must be at most 100 characters'),
  username: textField('username')
    .trim()
    .regex(
      /^[A-Za-z0-9_.-]{3,50}$/,
      'username must be 3-50 characters of letters, digits, underscore, dot or hyphen',
    ),
  email: textField('email')
    .trim()
    .toLowerCase()
    .max(254, 'email is too long')
    .pipe(z.email('email must be a valid email address')),
  // Any text: it is only hashed, never stored or shown.
  password: z
    .string({ error: typeError('password', 'a string') })
    .min(8, 'password must be at least 8 characters')
    .max(256, 'password must be at most 256 characters'),
  role: textField('role')
    .trim()
    .toLowerCase()
    .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'role must be 1-32 letters, digits, underscore or hyphen')
    .optional(),
});

export const loginInput = z
  .object({
    email: textField('email').trim().toLowerCase().max(254).optional(),
    username: textField('username').trim().max(50).optional(),
    // Any text: it is only hashed, never stored or shown.
    password: z
      .string({ error: typeError('password', 'a string') })
      .min(1, 'password is required')
      .max(256),
  })
  .refine((v) => Boolean(v.email) || Boolean(v.username), {
    message: 'email or username is required',
    path: ['email'],
  });

export const idParam = (field: string) => z.object({ [field]: idField(field) });

export type SendMessageInput = z.infer<typeof sendMessageInput>;
export type SendMessageRequest = z.input<typeof sendMessageFields>;
export type TypingRequest = z.input<typeof typingFields>;
export type HistoryRequest = z.input<typeof historyFields>;
export type ConversationsInput = z.infer<typeof conversationsInput>;
export type MarkConversationReadInput = z.infer<typeof markConversationReadInput>;
export type SyncInput = z.infer<typeof syncInput>;
export type MarkMessageReadInput = z.infer<typeof markMessageReadInput>;
export type TypingInput = z.infer<typeof typingInput>;
export type HistoryInput = z.infer<typeof historyInput>;
export type UsersQuery = z.infer<typeof usersQuery>;
export type RegisterInput = z.infer<typeof registerInput>;
export type LoginInput = z.infer<typeof loginInput>;
