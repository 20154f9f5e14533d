import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type Parley } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export interface TestServer {
  url: string;
  app: Parley;
  dataDir: string;
  close(): Promise<void>;
}

export const TEST_SECRET = 'parley-test-secret-0123456789-abcdefghijklmnop';

/** A real Parley on 127.0.0.1, a free port and a fresh SQLite database in a temporary directory. */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_SECRET,
    ...env,
  });
  const app = await createApp(config);
  const url = await app.listen();
  return {
    url,
    app,
    dataDir,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
