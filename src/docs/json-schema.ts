import { readFileSync } from 'node:fs';
import { z } from 'zod';

export type JsonSchema = { [key: string]: unknown };

/**
 * The JSON Schema of one of our zod schemas, for documentation only: what a client may send (`input`) or
 * will receive (`output`). OpenAPI 3.1 speaks JSON Schema 2020-12; AsyncAPI 3 payloads speak draft-07.
 * Refinements that JSON Schema cannot say (NUL characters, trimming, caps) are not in it: the zod schema
 * stays the one that decides.
 */
export function toJsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  target: 'draft-2020-12' | 'draft-7' = 'draft-2020-12',
): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    target,
    unrepresentable: 'any',
    // zod bounds every integer to the safe range: true, but noise in a document.
    override: ({ jsonSchema }) => {
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    },
  });
  return rest;
}

/** The object branch of a nullish object schema (`syncInput` accepts no payload): query strings are objects. */
export function objectBranch(schema: JsonSchema): JsonSchema {
  if (schema.type === 'object') return schema;
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  const object = branches?.find((branch) => branch.type === 'object');
  if (!object) throw new Error('expected an object schema (or a nullable one)');
  return object;
}

/** Parley's version, as in package.json (two folders up from src/docs and from dist/docs). */
export const parleyVersion: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
