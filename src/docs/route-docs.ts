import type { FastifySchema, FastifySchemaCompiler, RouteShorthandOptions } from 'fastify';
import type { z } from 'zod';
import { defaultMessages, type ErrorCode } from '../domain/errors.js';
import { errorPayload } from '../protocol/outputs.js';
import { httpStatus } from '../transport/error-map.js';
import { objectBranch, toJsonSchema, type JsonSchema } from './json-schema.js';

/** The OpenAPI security scheme of routes guarded by `requireUser`. */
export const BEARER_AUTH = 'bearerAuth';
/** The OpenAPI security scheme of `/metrics` when `METRICS_TOKEN` is set. */
export const METRICS_AUTH = 'metricsToken';

export type Tag = 'auth' | 'users' | 'conversations' | 'messages' | 'operations' | 'docs';

/** One success answer: a JSON body from a zod schema, or another media type with a JSON Schema. */
export type Answer =
  | { description: string; schema: z.ZodType }
  | { description: string; contentType: string; schema: JsonSchema };

export interface RouteDoc {
  summary: string;
  description?: string;
  tag: Tag;
  /** Guarded by `requireUser`: needs `Authorization: Bearer <token>`. */
  auth?: boolean;
  /** Other security requirements (OpenAPI form); `{}` in the list means none is needed. */
  security?: Record<string, string[]>[];
  /** The zod schemas the handler validates with (`parseInput`); documented as what a client may send. */
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  /** Answers other than `{message}` errors, by status. */
  answers: Record<number, Answer>;
  /**
   * The error codes the route can answer with besides those implied by its inputs (`VALIDATION`, and for
   * a body Fastify's 413 and 415) and by `auth` (the token errors). Each becomes its status, from the one
   * error table, with a `{message}` body.
   */
  errors?: ErrorCode[];
}

/** Fastify's own answers to a body it cannot take, in the same `{message}` form. */
const BODY_ERRORS: Record<number, string> = {
  413: 'The body is larger than `BODY_LIMIT_BYTES`: `Request body is too large`',
  415: 'The content type has no parser (send `application/json`): `Unsupported Media Type: …`',
};

const TOKEN_ERRORS: ErrorCode[] = ['NO_TOKEN', 'INVALID_TOKEN', 'TOKEN_USER_NOT_FOUND'];

/** What a status means, from the messages of the codes that answer with it. */
function errorDescription(codes: ErrorCode[]): string {
  return codes
    .map((code) => {
      if (code === 'VALIDATION') {
        return 'Invalid input: the message names the first problem, e.g. `receiverId is required` or `request body must be an object`';
      }
      if (code === 'RATE_LIMITED') return 'A rate limit was reached: `Too many …: try again in N s`';
      if (code === 'SEND_REJECTED') {
        return "Refused by the host application's `beforeSend` hook (library mode), with the host's message";
      }
      return `\`${defaultMessages[code]}\``;
    })
    .join('; ');
}

const errorContent = () => ({ 'application/json': { schema: toJsonSchema(errorPayload, 'output') } });

function errorResponses(codes: ErrorCode[], body: boolean): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = httpStatus[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, group] of byStatus) {
    responses[status] = {
      description: errorDescription(group),
      content: errorContent(),
      ...(group.includes('RATE_LIMITED')
        ? {
            headers: {
              'retry-after': {
                description: 'Seconds until the next attempt can succeed',
                schema: { type: 'integer', minimum: 1 },
              },
            },
          }
        : {}),
    };
  }
  if (body) {
    for (const [status, description] of Object.entries(BODY_ERRORS)) {
      responses[status] = { description, content: errorContent() };
    }
  }
  return responses;
}

/** The OpenAPI-flavoured Fastify `schema` of a route (what @fastify/swagger reads). */
export function routeSchema(doc: RouteDoc): FastifySchema & Record<string, unknown> {
  const inputs = Boolean(doc.body ?? doc.query ?? doc.params);
  const codes: ErrorCode[] = [
    ...(inputs ? (['VALIDATION'] as const) : []),
    ...(doc.auth ? TOKEN_ERRORS : []),
    ...(doc.errors ?? []),
  ];
  const response: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(doc.answers)) {
    const media = 'contentType' in answer ? answer.contentType : 'application/json';
    const schema = 'contentType' in answer ? answer.schema : toJsonSchema(answer.schema, 'output');
    response[status] = { description: answer.description, content: { [media]: { schema } } };
  }
  Object.assign(response, errorResponses(codes, Boolean(doc.body)));
  return {
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag],
    ...(doc.auth ? { security: [{ [BEARER_AUTH]: [] }] } : {}),
    ...(doc.security ? { security: doc.security } : {}),
    ...(doc.body ? { body: toJsonSchema(doc.body, 'input') } : {}),
    ...(doc.query ? { querystring: objectBranch(toJsonSchema(doc.query, 'input')) } : {}),
    ...(doc.params ? { params: toJsonSchema(doc.params, 'input') } : {}),
    response,
  };
}

/**
 * Fastify never validates or serializes with these schemas: the handlers validate with zod themselves
 * (their error messages are part of the API), and answers are plain `JSON.stringify`, as for a route
 * without a schema, so no field is ever dropped.
 */
const acceptAnything: FastifySchemaCompiler<unknown> = () => () => true;
const plainJson = () => (data: unknown) => JSON.stringify(data);

/**
 * Route options that attach `doc` to a route as documentation only, for @fastify/swagger to read.
 *
 * @example app.post('/api/messages', { ...documented(sendDoc), preHandler: requireUser }, handler)
 */
export function documented(
  doc: RouteDoc,
): Pick<RouteShorthandOptions, 'schema' | 'validatorCompiler' | 'serializerCompiler'> {
  return { schema: routeSchema(doc), validatorCompiler: acceptAnything, serializerCompiler: plainJson };
}
