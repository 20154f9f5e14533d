import { createApp, type Parley } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';

/**
 * Runs Parley as a server process: config from `env` → app → listen, with graceful shutdown on
 * SIGTERM/SIGINT (a second signal, or a shutdown taking over 10 s, exits 1). The one implementation
 * behind `src/main.ts` (`npm start`) and `parley start`.
 */
export async function serve(env: Record<string, string | undefined>): Promise<Parley> {
  const config = loadConfig(env);
  const app = await createApp(config);
  const log = app.fastify.log;

  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 10 s: exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const address = await app.listen();
  log.info({ address }, 'Parley is listening');
  return app;
}

/** `serve`, or one line on stderr and exit code 1 when Parley cannot start (invalid settings included). */
export async function serveOrExit(env: Record<string, string | undefined>): Promise<void> {
  try {
    await serve(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
    } else {
      console.error(`Parley failed to start: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.exit(1);
  }
}
