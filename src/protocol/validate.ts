import type { z } from 'zod';
import { AppError } from '../domain/errors.js';

/**
 * Validates `input` against `schema`; on failure throws `AppError('VALIDATION')` whose message names the
 * first problem, e.g. `content must be a string`, or `send_message payload must be an object`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, label: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new AppError('VALIDATION', `Invalid ${label}`);
  if (issue.path.length === 0 && issue.code === 'invalid_type') {
    throw new AppError('VALIDATION', `${label} must be an object`);
  }
  throw new AppError('VALIDATION', issue.message);
}
