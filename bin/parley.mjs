#!/usr/bin/env node
// The `parley` command: the compiled CLI from dist/ (`npm run build`), or — in a checkout that has not
// been built yet — the TypeScript source through tsx (a development dependency).
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const compiled = new URL('../dist/cli.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', import.meta.url).href);
}
