/** A refusal from the server: `message` is the server's own message (e.g. `Receiver not found`). */
export class ParleyError extends Error {
  override readonly name = 'ParleyError';
  constructor(
    message: string,
    /** The socket event that was refused, or the REST path. */
    readonly source: string,
    /** The HTTP status, for REST calls. */
    readonly status?: number,
  ) {
    super(message);
  }
}
