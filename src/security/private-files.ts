import { closeSync, mkdirSync, openSync } from 'node:fs';

/**
 * Parley's own files (the SQLite database, the generated JWT secret) are readable by their owner alone:
 * directories are created 0700, files 0600. Only what Parley creates is affected; an existing directory
 * or file keeps the permissions its owner gave it.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Creates `file` empty with mode 0600 unless it exists (SQLite then opens it as a new database). */
export function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
}
