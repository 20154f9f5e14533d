#!/usr/bin/env node
// Runs every test file under test/ with Node's test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [dir-or-file ...]   (default: test/unit test/contract test/integration)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2);
const targets = roots.length > 0 ? roots : ['test/unit', 'test/contract', 'test/integration'];

const files = [];
const walk = (path) => {
  if (!existsSync(path)) return;
  if (statSync(path).isFile()) return void files.push(path);
  for (const entry of readdirSync(path).sort()) {
    const full = join(path, entry);
    if (statSync(full).isDirectory()) walk(full);
    else if (entry.endsWith('.test.ts')) files.push(full);
  }
};
targets.forEach(walk);

if (files.length === 0) {
  console.error('No test files found in', targets.join(', '));
  process.exit(1);
}

const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env },
});
process.exit(result.status ?? 1);
