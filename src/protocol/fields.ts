import { z } from 'zod';

/** "x is required" when absent, "x must be <kind>" when of the wrong type. */
export const typeError =
  (field: string, kind: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined || issue.input === null ? `${field} is required` : `${field} must be ${kind}`;

/**
 * A string that may not contain NUL (PostgreSQL text cannot hold it, and no client means to send it) nor
 * a lone UTF-16 surrogate (it cannot be stored as UTF-8: it would come back as something else, and two
 * different values could become one).
 */
export const textField = (field: string) =>
  z
    .string({ error: typeError(field, 'a string') })
    .refine((s) => !s.includes('\u0000'), `${field} must not contain NUL characters`)
    .refine((s) => s.isWellFormed(), `${field} must be valid Unicode text (no lone surrogates)`);

/** A string id (user or message): trimmed, non-empty, bounded. */
export const idField = (field: string) =>
  textField(field).trim().min(1, `${field} must not be empty`).max(128, `${field} is too long`);

/** Numeric strings become numbers (query strings); `null` means "not given" for optional numbers. */
const toIntIfNumeric = (value: unknown): unknown => {
  if (value === null) return undefined;
  return typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
};

/** A page number: integer ≥ 1, also accepted as a numeric string (query strings). */
export const pageField = z.preprocess(
  toIntIfNumeric,
  z
    .number({ error: typeError('page', 'a positive integer') })
    .int('page must be a positive integer')
    .min(1, 'page must be a positive integer')
    .max(1_000_000, 'page must be at most 1000000')
    .optional(),
);

/** A page size: integer ≥ 1; values above `max` are capped to `max`, not rejected. */
export const limitField = (max: number) =>
  z
    .preprocess(
      toIntIfNumeric,
      z
        .number({ error: typeError('limit', 'a positive integer') })
        .int('limit must be a positive integer')
        .min(1, 'limit must be a positive integer')
        .transform((n) => Math.min(n, max))
        .optional(),
    )
    .describe(`Page size, an integer ≥ 1; values above ${max} are treated as ${max}`);
