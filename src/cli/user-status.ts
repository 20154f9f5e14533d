import { AppError } from '../domain/errors.js';
import { toWireUser } from '../protocol/wire.js';
import { UserService } from '../services/user-service.js';
import { KyselyStore } from '../store/kysely-store.js';
import { cliLogger, configOf, openStorage } from './context.js';
import { line, messageOf, type CliIo } from './io.js';

export type UserAction = 'disable' | 'enable' | 'delete';

/**
 * `parley user disable|enable|delete <user>`: the exit code. Running servers see the change through the
 * shared storage (their session re-check closes the user's sockets).
 */
export async function changeUser(action: UserAction, ref: string, io: CliIo): Promise<number> {
  const config = configOf(io);
  if (!config) return 1;
  try {
    const { dialect } = await openStorage(config, cliLogger(config, io.env));
    const store = new KyselyStore(dialect);
    try {
      const users = new UserService(store);
      const user = await users.find(ref);
      if (!user) {
        line(io.stderr, `User not found: ${ref}`);
        return 1;
      }
      let printed: object;
      if (action === 'delete') {
        await users.remove(user.id);
        printed = toWireUser(user);
      } else {
        const changed = await users.setDisabled(user.id, action === 'disable', new Date());
        printed = { ...toWireUser(changed), disabledAt: changed.disabledAt?.toISOString() ?? null };
      }
      io.stdout.write(`${JSON.stringify(printed, null, 2)}\n`);
      return 0;
    } finally {
      await store.close();
    }
  } catch (err) {
    line(io.stderr, err instanceof AppError ? err.message : `Cannot ${action} the user: ${messageOf(err)}`);
    return 1;
  }
}
