import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApp, type Parley } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

/** Smaller findings: request ids checked before they reach a log line, private data files, metrics token. */
describe('hardening', () => {
  let app: Parley;
  let url: string;
  let root: string;
  let dataDir: string;
  const bindings: Array<Record<string, unknown>> = [];
  const METRICS_TOKEN = 'metrics-token-0123456789';

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'parley-hardening-'));
    dataDir = join(root, 'nested', 'data');
    // SQLite storage whatever the suite's backend: this is about the files Parley creates.
    app = await createApp(
      loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        METRICS_TOKEN,
        // No JWT_SECRET: the generated one is kept in DATA_DIR.
      }),
    );
    // What each request's logger is bound to: the request id every log line of the request carries.
    app.fastify.addHook('onRequest', async (request) => {
      bindings.push((request.log as unknown as { bindings(): Record<string, unknown> }).bindings());
    });
    url = await app.listen();
  });
  after(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('never binds a client request id that is not short and plain to the request logs', async () => {
    const long = 'x'.repeat(16_000);
    for (const id of [long, 'has spaces', 'ok-id.1:2']) {
      bindings.length = 0;
      const res = await fetch(`${url}/healthz`, { headers: { 'x-request-id': id } });
      assert.equal(res.status, 200);
      const logged = String(bindings[0]?.reqId);
      assert.equal(res.headers.get('x-request-id'), logged);
      if (id === 'ok-id.1:2') assert.equal(logged, id);
      else assert.match(logged, /^[0-9a-f-]{36}$/, `logged ${logged.slice(0, 40)}`);
    }
  });

  it('creates DATA_DIR, the database and the generated secret readable by their owner alone', () => {
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    for (const file of ['parley.db', 'jwt-secret']) {
      const path = join(dataDir, file);
      assert.ok(existsSync(path), file);
      assert.equal(
        statSync(path).mode & 0o077,
        0,
        `${file} mode ${(statSync(path).mode & 0o777).toString(8)}`,
      );
    }
    for (const file of ['parley.db-wal', 'parley.db-shm']) {
      const path = join(dataDir, file);
      if (existsSync(path)) assert.equal(statSync(path).mode & 0o077, 0, file);
    }
  });

  it('answers /metrics only with the exact token, whatever the length of a wrong one', async () => {
    const get = (authorization?: string) =>
      fetch(`${url}/metrics`, authorization ? { headers: { authorization } } : {}).then((r) => r.status);
    assert.equal(await get(`Bearer ${METRICS_TOKEN}`), 200);
    for (const wrong of [
      undefined,
      'Bearer ',
      `Bearer ${METRICS_TOKEN}x`,
      `Bearer ${METRICS_TOKEN.slice(0, -1)}`,
      METRICS_TOKEN,
    ])
      assert.equal(await get(wrong), 401, String(wrong));
  });
});
