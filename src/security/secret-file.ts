import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from './private-files.js';

/**
 * The JWT secret kept in `dir/jwt-secret` for single-process use without configuration: read if present,
 * otherwise generated (384 random bits) and written with mode 0600. `created` tells the caller to warn.
 */
export function loadOrCreateSecret(dir: string): { secret: string; created: boolean; file: string } {
  const file = join(dir, 'jwt-secret');
  try {
    return { secret: readFileSync(file, 'utf8').trim(), created: false, file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  ensurePrivateDir(dir);
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return { secret: readFileSync(file, 'utf8').trim(), created: false, file };
    }
    throw err;
  }
  return { secret, created: true, file };
}

/**
 * The secret tokens are signed with: `JWT_SECRET`, else the one kept in `DATA_DIR` (generated on first
 * use, when `onGenerated` is told the file it went to). The server and the CLI resolve it alike.
 */
export function jwtSecretOf(
  config: { jwtSecret?: string; dataDir: string },
  onGenerated: (file: string) => void,
): string {
  if (config.jwtSecret) return config.jwtSecret;
  const kept = loadOrCreateSecret(config.dataDir);
  if (kept.created) onGenerated(kept.file);
  return kept.secret;
}
