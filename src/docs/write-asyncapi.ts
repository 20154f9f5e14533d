/**
 * `npm run docs:asyncapi`: writes docs/asyncapi.json from the event tables and zod schemas, formatted as
 * the repository's Prettier settings want it. A test checks that the committed copy holds the same
 * document as the one generated.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { asyncApiJson } from './asyncapi.js';

const file = fileURLToPath(new URL('../../docs/asyncapi.json', import.meta.url));
const options = await resolveConfig(file);
writeFileSync(file, await format(asyncApiJson(), { ...options, filepath: file }));
console.log(`wrote ${file}`);
