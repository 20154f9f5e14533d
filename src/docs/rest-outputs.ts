import { z } from 'zod';
import { ownWireUser, wireUser } from '../protocol/outputs.js';

/**
 * The REST answers that have no socket counterpart, built from the wire shapes in src/protocol/outputs.ts.
 * The route handlers are typed with them (`Reply`), so the documented shape is the one they return.
 */

export const authAnswer = z.object({
  token: z.string().describe('JWT: send it as `Authorization: Bearer <token>` and in the socket handshake'),
  user: ownWireUser,
});

/** A user: without the email, unless it is the caller's own. */
export const userAnswer = z.object({ user: wireUser.extend({ email: z.string().optional() }) });

/** The caller themselves (`/api/auth/me`): with their email. */
export const meAnswer = z.object({ user: ownWireUser });

export const usersPage = z.object({
  users: z.array(wireUser),
  pagination: z.object({
    page: z.number().int(),
    limit: z.number().int(),
    total: z.number().int(),
    hasMore: z.boolean(),
  }),
});

export const liveness = z.object({ status: z.literal('ok') });

const checks = z
  .record(z.string(), z.enum(['ok', 'unavailable']))
  .describe('one entry per dependency: storage, and redis when REDIS_URL is set');

export const readiness = z.object({ status: z.literal('ok'), checks });

export const notReady = z.object({
  message: z.enum(['Not ready', 'Shutting down']),
  status: z.literal('unavailable'),
  checks,
});

export type AuthAnswer = z.infer<typeof authAnswer>;
export type UserAnswer = z.infer<typeof userAnswer>;
export type MeAnswer = z.infer<typeof meAnswer>;
export type UsersPage = z.infer<typeof usersPage>;
export type Liveness = z.infer<typeof liveness>;
export type Readiness = z.infer<typeof readiness>;
export type NotReady = z.infer<typeof notReady>;
