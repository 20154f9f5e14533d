import { AppError } from '../domain/errors.js';
import { registerInput } from '../protocol/inputs.js';
import { parseInput } from '../protocol/validate.js';
import { toOwnWireUser } from '../protocol/wire.js';
import { Argon2PasswordHasher } from '../security/argon2-password-hasher.js';
import { FlexibleRateLimiter } from '../security/flexible-rate-limiter.js';
import { JoseTokenIssuer } from '../security/jose-token-issuer.js';
import { jwtSecretOf } from '../security/secret-file.js';
import { AuthService } from '../services/auth-service.js';
import { systemClock } from '../services/ports.js';
import { UserService } from '../services/user-service.js';
import { KyselyStore } from '../store/kysely-store.js';
import { cliLogger, configOf, openStorage } from './context.js';
import { line, messageOf, type CliIo } from './io.js';

export interface UserCreateArgs {
  name?: string;
  username?: string;
  email?: string;
  password?: string;
  'password-stdin'?: boolean;
  role?: string;
  token?: boolean;
}

/** Standard input up to its end, without one trailing newline. */
async function readPassword(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `parley user create`: the exit code. */
export async function userCreate(args: UserCreateArgs, io: CliIo): Promise<number> {
  const config = configOf(io);
  if (!config) return 1;
  try {
    const password = args['password-stdin'] ? await readPassword(io.stdin) : args.password;
    const input = parseInput(
      registerInput,
      { name: args.name, username: args.username, email: args.email, password, role: args.role },
      'user',
    );
    const logger = cliLogger(config, io.env);
    // The server's secret: JWT_SECRET, else the one kept in DATA_DIR (generated on first use).
    const secret = jwtSecretOf(config, (file) =>
      line(io.stderr, `Warning: JWT_SECRET is not set: generated a random secret and kept it in ${file}`),
    );
    const { dialect } = await openStorage(config, logger);
    const store = new KyselyStore(dialect);
    try {
      const auth = new AuthService({
        store,
        users: new UserService(store),
        tokens: JoseTokenIssuer.fromConfig(config, secret),
        passwords: new Argon2PasswordHasher(),
        clock: systemClock,
        limits: new FlexibleRateLimiter({}),
        // An administrator gives any role; public registration keeps to REGISTRATION_ROLES.
        registrationRoles: ['*'],
      });
      const { token, user } = await auth.register(input);
      const result = args.token ? { token, user: toOwnWireUser(user) } : toOwnWireUser(user);
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    } finally {
      await store.close();
    }
  } catch (err) {
    // The REST API's own words for what a client may see (invalid field, taken username or email).
    line(io.stderr, err instanceof AppError ? err.message : `Cannot create the user: ${messageOf(err)}`);
    return 1;
  }
}
