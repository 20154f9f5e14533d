#!/usr/bin/env node
// Builds the demo chat page (demo/) into dist/demo/: app.js bundled by esbuild with the typed client
// (client/) and socket.io-client, next to index.html, style.css and favicon.svg. The server serves that
// folder at / (src/transport/http/demo-routes.ts).
//
//   node scripts/build-demo.mjs
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STATIC_FILES = ['index.html', 'style.css', 'favicon.svg'];

export async function buildDemo({ outdir = join(root, 'dist', 'demo') } = {}) {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: [join(root, 'demo', 'app.ts')],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  for (const file of STATIC_FILES) await copyFile(join(root, 'demo', file), join(outdir, file));
  return { outdir, bytes: (await stat(join(outdir, 'app.js'))).size };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  const { bytes } = await buildDemo();
  console.log(
    `demo page built in dist/demo (app.js ${Math.round(bytes / 1024)} KiB, ${Date.now() - started} ms)`,
  );
}
