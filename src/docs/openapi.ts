import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { parleyVersion } from './json-schema.js';
import { BEARER_AUTH, METRICS_AUTH } from './route-docs.js';

export interface OpenApiOptions {
  /** Where the UI is served; the document is at `<prefix>/json` (and `/yaml`). Default `/docs`. */
  prefix?: string;
}

/**
 * The Swagger UI's own Content-Security-Policy: its page loads scripts, styles and images from the same
 * origin only (the logo is a data: URL). The rest of the API keeps helmet's `default-src 'none'`.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
].join('; ');

const description = `Parley's REST API. Every error answer is JSON \`{"message": "…"}\` with the status shown.
Routes marked with a lock need \`Authorization: Bearer <token>\`, the token from register or login.
The Socket.IO events are described by the AsyncAPI document at [/asyncapi.json](/asyncapi.json).`;

/**
 * Registers @fastify/swagger (which collects every route registered after it in `app`'s scope, with the
 * schemas attached by `documented()`) and the Swagger UI at `/docs`. Call it before the routes. In a host's
 * Fastify app, `app` is Parley's encapsulated scope: its decorators (`swagger`, `swaggerCSP`) shadow any
 * the host has, and Parley's routes are left out of the host's own documents (below).
 */
export async function registerOpenApi(app: FastifyInstance, options: OpenApiOptions = {}): Promise<void> {
  const prefix = options.prefix ?? '/docs';
  // A clash inside @fastify/swagger-ui's own registration escapes as an uncaught exception: refuse first.
  for (const url of [prefix, `${prefix}/json`]) {
    if (app.hasRoute({ method: 'GET', url })) {
      throw new Error(`GET ${url} is already a route: Parley serves its API documents under ${prefix}`);
    }
  }
  const info = { title: 'Parley', version: parleyVersion, description };
  // A host's @fastify/swagger sees Parley's routes too (its route hook is inherited by Parley's scope),
  // where their security schemes are unknown (it fails on them). Each route is hidden from every
  // document but this one, which @fastify/swagger builds around the very `info` object passed here.
  const parleyOnly: SwaggerTransform = ({ schema, url, ...document }) =>
    'openapiObject' in document && document.openapiObject.info === info
      ? { schema, url }
      : { schema: { ...schema, hide: true }, url };
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, swaggerTransform: parleyOnly };
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info,
      tags: [
        { name: 'auth', description: 'Accounts and tokens' },
        { name: 'users', description: 'The user directory' },
        {
          name: 'conversations',
          description: 'The inbox, conversations and read cursors (the same operations as the socket events)',
        },
        { name: 'messages', description: 'Messages (the same operations as the socket events)' },
        { name: 'operations', description: 'Health, readiness and metrics' },
        { name: 'docs', description: 'These documents' },
      ],
      components: {
        securitySchemes: {
          [BEARER_AUTH]: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'The token from `POST /api/auth/register` or `POST /api/auth/login`',
          },
          [METRICS_AUTH]: {
            type: 'http',
            scheme: 'bearer',
            description: 'The `METRICS_TOKEN` setting, when set',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: prefix,
    staticCSP: DOCS_CSP,
    // BaseLayout: no top bar (its "Explore" box, and its logo's inline <style> that the CSP refuses).
    uiConfig: { layout: 'BaseLayout', deepLinking: true, tryItOutEnabled: false },
    validatorUrl: false,
  });
}
