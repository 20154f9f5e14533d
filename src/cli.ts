#!/usr/bin/env node
import { runCli } from './cli/run.js';

/** The `parley` command (package.json "bin"): `parley --help` lists what it does. */
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
if (code !== undefined) process.exitCode = code;
