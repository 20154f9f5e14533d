import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where scripts/build-demo.mjs puts the demo bundle; the same path whether this runs from src/ or dist/. */
export const DEMO_ROOT = fileURLToPath(new URL('../../../dist/demo/', import.meta.url));

/**
 * The demo page's Content-Security-Policy: its own scripts, styles, images and connections (REST and
 * Socket.IO, same origin) only. Everything else keeps the API's `default-src 'none'`.
 */
export const DEMO_CSP_DIRECTIVES = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/**
 * Serves the demo chat page at `/` and its files (app.js, style.css…) from `root`, with the demo's CSP
 * through @fastify/helmet's per-route configuration. Only the files that exist when the server starts
 * get a route, so every other path keeps the API's JSON 404. Returns false (and serves nothing) when the
 * bundle is not built.
 */
export function demoRoutes(app: FastifyInstance, { root = DEMO_ROOT }: { root?: string } = {}): boolean {
  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'the demo page is not built (npm run build): not serving it');
    return false;
  }
  void app.register(async (demo) => {
    demo.addHook('onRoute', (route) => {
      route.config = {
        ...route.config,
        helmet: { contentSecurityPolicy: { useDefaults: false, directives: DEMO_CSP_DIRECTIVES } },
      } as typeof route.config;
    });
    await demo.register(fastifyStatic, {
      root,
      wildcard: false,
      decorateReply: false,
      index: 'index.html',
      serveDotFiles: false,
    });
  });
  return true;
}
