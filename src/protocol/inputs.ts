import { z } from 'zod';
import { idField, limitField, pageField, textField, typeError } from './fields.js';

/** Client → server payloads and REST bodies. Each is the one schema used to validate that input. */

export const sendMessageInput = z.object({
  receiverId: idField('receiverId'),
  // Length limits are a configurable domain rule, checked by the messaging service.
  content: textField('content').trim().min(1, 'content must not be empty'),
  /** The client's own id for this send: a retry with the same id returns the stored message. */
  clientMessageId: textField('clientMessageId')
    .trim()
    .min(1, 'clientMessageId must not be empty')
    .max(128, 'clientMessageId must be at most 128 characters')
    .optional(),
});

export const markMessageReadInput = z.object({ messageId: idField('messageId') });

export const typingInput = z.object({ receiverId: idField('receiverId') });

export const historyInput = z.object({
  otherUserId: idField('otherUserId'),
  page: pageField,
  limit: limitField(100),
});

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

export const historyQuery = z.object({ page: pageField, limit: limitField(100) });

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
export type SyncInput = z.infer<typeof syncInput>;
export type MarkMessageReadInput = z.infer<typeof markMessageReadInput>;
export type TypingInput = z.infer<typeof typingInput>;
export type HistoryInput = z.infer<typeof historyInput>;
export type UsersQuery = z.infer<typeof usersQuery>;
export type RegisterInput = z.infer<typeof registerInput>;
export type LoginInput = z.infer<typeof loginInput>;
