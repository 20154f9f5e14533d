import { cliLogger, configOf, openStorage } from './context.js';
import { line, messageOf, type CliIo } from './io.js';

/** `parley migrate`: the exit code. */
export async function migrate(io: CliIo): Promise<number> {
  const config = configOf(io);
  if (!config) return 1;
  try {
    const { dialect, where, applied } = await openStorage(config, cliLogger(config, io.env));
    await dialect.db.destroy();
    for (const name of applied) line(io.stdout, `Applied ${name}`);
    const count = applied.length === 1 ? '1 migration' : `${applied.length} migrations`;
    line(
      io.stdout,
      applied.length === 0
        ? `${dialect.name} storage at ${where} is up to date: nothing to apply`
        : `${dialect.name} storage at ${where} is up to date: ${count} applied`,
    );
    return 0;
  } catch (err) {
    line(io.stderr, `Migration failed: ${messageOf(err)}`);
    return 1;
  }
}
