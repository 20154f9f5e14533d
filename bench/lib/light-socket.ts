import WebSocket from 'ws';

/**
 * A minimal Socket.IO client (Engine.IO v4 over WebSocket only, the main namespace, text packets, no
 * acknowledgements): what the group benchmark needs to hold thousands of receiving sockets in a few load
 * processes without their decoding becoming the limit. Each incoming event packet is handed over as its
 * raw text (`42["event",…]`), so a receiver decodes only what it looks at; pings are answered.
 */
export class LightSocket {
  private readonly ws: WebSocket;
  private readonly listeners = new Map<string, (raw: string) => void>();
  connected = false;

  private constructor(ws: WebSocket) {
    this.ws = ws;
  }

  /**
   * Connects and sends the namespace CONNECT with `auth`; resolves once the server accepted it (`40`) and,
   * with `readyEvent`, sent that event too; rejects on a refusal (`44`), a close or an error.
   */
  static connect(
    url: string,
    auth: unknown,
    options: { localAddress?: string; readyEvent?: string } = {},
  ): Promise<LightSocket> {
    const { localAddress, readyEvent } = options;
    const wsUrl = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}) });
    const socket = new LightSocket(ws);
    return new Promise((resolve, reject) => {
      const ready = () => {
        ws.off('error', fail);
        ws.on('error', () => undefined);
        resolve(socket);
      };
      if (readyEvent) {
        socket.on(readyEvent, () => {
          socket.off(readyEvent);
          ready();
        });
      }
      const fail = (err: Error) => {
        ws.terminate();
        reject(err);
      };
      ws.on('error', fail);
      ws.on('close', () => {
        socket.connected = false;
        reject(new Error('closed before connecting'));
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) return;
        const text = data.toString();
        const type = text.charCodeAt(0);
        if (type === 0x32 /* '2' ping */) {
          ws.send('3');
          return;
        }
        if (type !== 0x34 /* '4' message */) {
          if (type === 0x30 /* '0' open */) ws.send(`40${JSON.stringify(auth)}`);
          return;
        }
        const packet = text.charCodeAt(1);
        if (packet === 0x32 /* '2' event */) {
          socket.dispatch(text);
        } else if (packet === 0x30 /* '0' connect */) {
          socket.connected = true;
          if (!readyEvent) ready();
        } else if (packet === 0x34 /* '4' connect error */) {
          fail(new Error(text.slice(2)));
        }
      });
    });
  }

  /** The event name of a raw `42["name",…]` packet. */
  private dispatch(text: string): void {
    const end = text.indexOf('"', 4);
    const listener = this.listeners.get(text.slice(4, end));
    listener?.(text);
  }

  /** Calls `listener` with the raw text of every `event` packet (one listener per event). */
  on(event: string, listener: (raw: string) => void): void {
    this.listeners.set(event, listener);
  }

  off(event: string): void {
    this.listeners.delete(event);
  }

  emit(event: string, payload: unknown): void {
    this.ws.send(`42${JSON.stringify([event, payload])}`);
  }

  close(): void {
    this.connected = false;
    this.ws.close();
  }
}
