import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './server-process.js';

/** Another commit of Parley, built to run beside this checkout's build in the same benchmark run. */
export interface Baseline {
  /** The ref as given and the commit it names. */
  ref: string;
  commit: string;
  /** The directory whose `dist/main.js` runs it (pass as `startParley({ root })`). */
  root: string;
  remove(): void;
}

/**
 * Exports `ref`'s tree (`git archive`: nothing is checked out or registered in this repository) into a
 * temporary directory, links this checkout's node_modules into it — no install: the dependencies must be
 * compatible, as they are for commits whose lockfile differs only in development tools — and compiles
 * the server with its own `tsconfig.build.json`. The demo page and the client package are not built (the
 * server runs without them). `ref` may instead name a directory with a build in `dist/` (a copy of the
 * repository with a change to try, built with `tsc -p tsconfig.build.json`): it runs from there.
 */
export function buildBaseline(ref: string): Baseline {
  // A directory that holds a build already (e.g. a scratch copy with a change to try) runs as it is.
  if (existsSync(join(ref, 'dist', 'main.js'))) {
    return { ref, commit: 'directory', root: realpathSync(ref), remove: () => {} };
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = mkdtempSync(join(tmpdir(), 'parley-baseline-'));
  const root = join(dir, commit.slice(0, 12));
  try {
    mkdirSync(root);
    execFileSync('sh', ['-c', `git archive --format=tar ${commit} | tar -x -C "${root}"`], { cwd: repoRoot });
    const modules = realpathSync(join(repoRoot, 'node_modules'));
    symlinkSync(modules, join(root, 'node_modules'), 'dir');
    const tsc = join(modules, 'typescript', 'bin', 'tsc');
    const started = performance.now();
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    if (!existsSync(join(root, 'dist', 'main.js'))) throw new Error(`${ref}: no dist/main.js after building`);
    console.log(
      `  baseline ${ref} (${commit.slice(0, 12)}) built in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { ref, commit, root, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
