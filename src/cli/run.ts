import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { line, type CliIo } from './io.js';
import {
  migrateHelp,
  startHelp,
  userCreateHelp,
  userCreateOptions,
  userDeleteHelp,
  userDisableHelp,
  userEnableHelp,
} from './help.js';
import type { UserCreateArgs } from './user-create.js';

/** A command's modules (the server's, storage drivers) load only when it runs: help and version stay quick. */
interface Command {
  /** The words that name it: `start`, `user create`. */
  name: string;
  summary: string;
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** The one operand it takes after its options, named as in its usage (`<user>`); none if unset. */
  operand?: string;
  /** A usage problem with these options (exit code 2), if any. */
  check?(values: Record<string, unknown>): string | undefined;
  /** The exit code, or undefined for a command that keeps running (the server). */
  run(values: Record<string, unknown>, io: CliIo, operand?: string): Promise<number | undefined>;
}

/** `user disable|enable|delete <user>`. */
const userChange = (action: 'disable' | 'enable' | 'delete', summary: string, help: string): Command => ({
  name: `user ${action}`,
  summary,
  help,
  options: {},
  operand: '<user>',
  run: async (_values, io, operand) =>
    (await import('./user-status.js')).changeUser(action, operand as string, io),
});

const commands: Command[] = [
  {
    name: 'start',
    summary: 'Run the server (REST and Socket.IO on one port)',
    help: startHelp,
    options: {},
    run: async (_values, io) => void (await (await import('./start.js')).serveOrExit(io.env)),
  },
  {
    name: 'migrate',
    summary: 'Bring the storage schema up to date, then exit',
    help: migrateHelp,
    options: {},
    run: async (_values, io) => (await import('./migrate.js')).migrate(io),
  },
  {
    name: 'user create',
    summary: 'Create a user, as POST /api/auth/register does',
    help: userCreateHelp,
    options: userCreateOptions,
    check: (values) =>
      values.password !== undefined && values['password-stdin']
        ? 'give either --password or --password-stdin, not both'
        : undefined,
    run: async (values, io) => (await import('./user-create.js')).userCreate(values as UserCreateArgs, io),
  },
  userChange('disable', 'Disable a user: no login, tokens refused, open sockets closed', userDisableHelp),
  userChange('enable', 'Enable a disabled user again', userEnableHelp),
  userChange('delete', 'Delete a user and their messages', userDeleteHelp),
];

const row = (left: string, right: string) => `  ${left.padEnd(16)}${right}`;

const usage = () => `Usage: parley <command> [options]

Commands:
${commands.map((c) => row(c.name, c.summary)).join('\n')}
${row('help <command>', "Show a command's options")}

Options:
${row('-h, --help', "Show this help (after a command: that command's help)")}
${row('-v, --version', "Print Parley's version")}

Settings come from the environment, as for the server: DATA_DIR (SQLite, default ./data) or DATABASE_URL
(PostgreSQL), JWT_SECRET, PORT, HOST, LOG_LEVEL and the others listed in README.md.
`;

const groupUsage = (group: string) => `Usage: parley ${group} <command> [options]

Commands:
${commands
  .filter((c) => c.name.startsWith(`${group} `))
  .map((c) => row(c.name, c.summary))
  .join('\n')}
`;

/** Parley's version, from the package.json next to src/ or dist/. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The command whose name the leading `words` spell. */
function lookup(words: string[]): Command | undefined {
  return commands.find((c) => c.name.split(' ').every((w, i) => words[i] === w));
}

const isHelp = (arg: string | undefined) => arg === '-h' || arg === '--help';

/** The usage lines of a command's help, and where to find the rest. */
const synopsis = (command: Command) =>
  `${command.help.split('\n\n')[0]}\n\nRun 'parley ${command.name} --help' for details.\n`;

/** Help or the version on stdout: exit code 0. */
function show(io: CliIo, text: string): number {
  io.stdout.write(text);
  return 0;
}

/** A usage error: the problem and the usage on stderr, exit code 2. */
function misuse(io: CliIo, problem: string, text: string): number {
  line(io.stderr, `parley: ${problem}`);
  io.stderr.write(`\n${text}`);
  return 2;
}

/**
 * Runs `parley <args>`: resolves with the exit code (0 done, 1 failed, 2 misused), or undefined when the
 * command keeps the process running (`start`).
 *
 * @example process.exitCode = await runCli(['migrate'], { env: process.env, stdout, stderr, stdin });
 */
export async function runCli(args: string[], io: CliIo): Promise<number | undefined> {
  const [first] = args;
  if (first === undefined) return misuse(io, 'no command given', usage());
  if (isHelp(first)) return show(io, usage());
  if (first === '-v' || first === '--version') return show(io, `${version()}\n`);

  const words: string[] = [];
  for (const arg of args) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  if (first === 'help') {
    const rest = words.slice(1);
    const command = lookup(rest);
    if (rest.length === 0) return show(io, usage());
    if (command) return show(io, command.help);
    if (rest.length === 1 && isGroup(rest[0])) return show(io, groupUsage(rest[0] as string));
    return misuse(io, `unknown command '${rest.join(' ')}'`, usage());
  }
  if (first.startsWith('-')) return misuse(io, `unknown option '${first}'`, usage());

  const command = lookup(words);
  if (!command) {
    const group = words[0] as string;
    if (!isGroup(group)) return misuse(io, `unknown command '${group}'`, usage());
    if (words.length === 1) {
      if (isHelp(args[1])) return show(io, groupUsage(group));
      return misuse(io, `'${group}' needs a command`, groupUsage(group));
    }
    return misuse(io, `unknown command '${words.slice(0, 2).join(' ')}'`, groupUsage(group));
  }

  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: args.slice(command.name.split(' ').length),
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: command.operand !== undefined,
    }));
  } catch (err) {
    return misuse(io, `${command.name}: ${(err as Error).message}`, synopsis(command));
  }
  if (values.help) return show(io, command.help);
  if (command.operand && positionals.length !== 1) {
    const problem = positionals.length === 0 ? `${command.operand} is required` : 'give one user only';
    return misuse(io, `${command.name}: ${problem}`, synopsis(command));
  }
  const problem = command.check?.(values);
  if (problem) return misuse(io, `${command.name}: ${problem}`, synopsis(command));
  return command.run(values, io, positionals[0]);
}

/** Whether `word` is the first word of commands with several words (`user`). */
function isGroup(word: string | undefined): boolean {
  return commands.some((c) => c.name.startsWith(`${word} `));
}
