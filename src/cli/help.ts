/**
 * What `parley <command> --help` prints, and the options each command takes: apart from the commands,
 * which load the server's modules.
 */

export const startHelp = `Usage: parley start

Runs the server: REST and Socket.IO on one port (PORT, default 3000), until SIGTERM or SIGINT shut it
down gracefully. The same as \`npm start\` (node dist/main.js).

Options:
  -h, --help  Show this help
`;

export const migrateHelp = `Usage: parley migrate

Brings the storage schema to the latest version and exits: SQLite in DATA_DIR (default ./data), or
PostgreSQL when DATABASE_URL is set (in the schema its search_path selects). The server does the same at
start; run this ahead of a deploy, or once before starting several processes. Safe to run again, and
while servers run.

Prints each migration it applied, then a summary line. Exits 1 with one line on stderr if the storage
cannot be opened or a migration fails.

Options:
  -h, --help  Show this help
`;

export const userCreateOptions = {
  name: { type: 'string' },
  username: { type: 'string' },
  email: { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  role: { type: 'string' },
  token: { type: 'boolean' },
} as const;

export const userCreateHelp = `Usage: parley user create --name <name> --username <username> --email <email>
                          (--password <password> | --password-stdin) [--role <role>] [--token]

Creates a user in the configured storage (SQLite in DATA_DIR, or PostgreSQL with DATABASE_URL), with the
validation, password hashing and error messages of POST /api/auth/register; the server need not run.
Applies pending migrations first, as the server does at start.

Prints the user as JSON; with --token, prints {"token", "user"} like the REST answer. Exits 1 with the
REST API's message on stderr (e.g. "Username already taken", "password must be at least 8 characters").

Options:
  --name <name>          Display name, 1-100 characters
  --username <username>  3-50 letters, digits, underscore, dot or hyphen; unique whatever the case
  --email <email>        A unique email address (kept in lower case)
  --password <password>  At least 8 characters. Visible to other local users and kept in shell history:
                         prefer --password-stdin
  --password-stdin       Read the password from standard input (one trailing newline is dropped)
  --role <role>          Role, 1-32 letters, digits, underscore or hyphen (default: customer)
  --token                Also issue an access token, signed with JWT_SECRET or, when that is unset, the
                         secret the server keeps in DATA_DIR/jwt-secret (created if missing)
  -h, --help             Show this help
`;

const userRef = `<user> is a user id or, when no user has that id, a username (any case).`;

export const userDisableHelp = `Usage: parley user disable <user>

Disables a user: they can no longer log in (answered like a wrong password), their tokens are refused
("Authentication error: User not found") on REST and at the socket handshake, and every running server
process closes their open sockets within SESSION_RECHECK_MS (default 5 s). Their account and messages
are kept; \`parley user enable\` undoes it. Works while servers run (they share the storage).
${userRef}

Prints the user as JSON, with "disabledAt". Exits 1 with "User not found: <user>" if there is none.

Options:
  -h, --help  Show this help
`;

export const userEnableHelp = `Usage: parley user enable <user>

Enables a disabled user again: they can log in, and their unexpired tokens work again.
${userRef}

Prints the user as JSON, with "disabledAt": null. Exits 1 with "User not found: <user>" if there is none.

Options:
  -h, --help  Show this help
`;

export const userDeleteHelp = `Usage: parley user delete <user>

Deletes a user for good, with their direct conversations: the messages they sent and received are
deleted too, for both sides. In groups their messages are deleted and they leave (ownership passes to
the longest-standing admin, else member). Their tokens are refused at once, and every running server process closes their
open sockets within SESSION_RECHECK_MS (default 5 s). To keep the account and messages, disable it.
${userRef}

Prints the deleted user as JSON. Exits 1 with "User not found: <user>" if there is none.

Options:
  -h, --help  Show this help
`;
