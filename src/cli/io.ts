/** Where a command writes: its result to `stdout`, diagnostics to `stderr`; `stdin` for secrets. */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

/** Writes one line; multi-line error texts (some driver errors) are folded onto it. */
export const line = (stream: NodeJS.WritableStream, text: string): void =>
  void stream.write(`${text.replace(/\s*\n\s*/g, ' ').trimEnd()}\n`);

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
